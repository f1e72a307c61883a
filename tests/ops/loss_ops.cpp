// Op table entries for losses and metrics (see tests/conformance/ops/losses.mjs).
#include "ops/op_table.h"
#include "strata/losses.h"

namespace strata::test {
namespace {

#define LOSS(NAME) {"losses." #NAME, one([](const Inputs& x, const Json&) { return losses::NAME(x[0], x[1]); })}
#define METRIC(NAME) {"metrics." #NAME, one([](const Inputs& x, const Json&) { return metrics::NAME(x[0], x[1]); })}

OpTableRegistrar registrar{
    LOSS(meanSquaredError), LOSS(meanAbsoluteError), LOSS(meanAbsolutePercentageError),
    LOSS(meanSquaredLogarithmicError), LOSS(squaredHinge), LOSS(hinge), LOSS(categoricalHinge),
    LOSS(logcosh), LOSS(huber), LOSS(categoricalCrossentropy), LOSS(sparseCategoricalCrossentropy),
    LOSS(binaryCrossentropy), LOSS(binaryCrossentropyFromLogits), LOSS(categoricalCrossentropyFromLogits),
    LOSS(kullbackLeiblerDivergence), LOSS(poisson), LOSS(cosineProximity),
    METRIC(binaryAccuracy), METRIC(categoricalAccuracy), METRIC(sparseCategoricalAccuracy),
    METRIC(precision), METRIC(recall),
    {"metrics.topKCategoricalAccuracy", one([](const Inputs& x, const Json& a) {
       return metrics::topKCategoricalAccuracy(x[0], x[1], attr<int>(a, "k", 5));
     })},
};

}  // namespace
}  // namespace strata::test
