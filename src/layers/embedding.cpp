// Embedding (TF.js 4.22 tfjs-layers/src/layers/embeddings.ts semantics): integer ids (or
// integer-valued floats, cast to int32) index the rows of "embeddings" [input_dim, output_dim].
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

std::string shapeText(const SymShape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("null") : std::to_string(s[i]));
  return out + "]";
}

class Embedding : public Layer {
 public:
  explicit Embedding(const Json& config) : Layer(config, "Embedding") {
    Config c = cfg();
    inputDim_ = c.getInt("input_dim");
    if (inputDim_ <= 0) throw Error(c.where("input_dim") + " must be a positive integer, got " + std::to_string(inputDim_));
    outputDim_ = c.getInt("output_dim");
    if (outputDim_ <= 0)
      throw Error(c.where("output_dim") + " must be a positive integer, got " + std::to_string(outputDim_));
    maskZero_ = c.getBool("mask_zero", false);
    if (c.has("input_length")) {
      const Json& v = c.raw("input_length");
      auto bad = [&]() { return Error(c.where("input_length") + " must be an integer, null, or a list of them, got " + v.dump()); };
      SymShape lens;
      if (v.is_number_integer()) lens.push_back(v.get<int64_t>());
      else if (v.is_array())
        for (const Json& e : v) {
          if (e.is_null()) lens.push_back(-1);
          else if (e.is_number_integer()) lens.push_back(e.get<int64_t>());
          else throw bad();
        }
      else throw bad();
      inputLength_ = lens;
    }
  }

  bool supportsMasking() const override { return maskZero_; }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    if (in.size() != 1) throw Error(describe() + " expects 1 input, got " + std::to_string(in.size()));
    return {outputShape(in[0])};
  }

  void build(const std::vector<SymShape>&) override { embeddings_ = addWeight("embeddings", {inputDim_, outputDim_}); }

  Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const override {
    if (!maskZero_) return Tensor();
    expectInputs(*this, inputs, 1);
    return notEqual(inputs[0], zerosLike(inputs[0]));
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    Tensor ids = inputs[0].dtype() == DType::int32 ? inputs[0] : cast(inputs[0], DType::int32);
    Tensor flat = reshape(ids, {ids.size()});
    if (flat.size() > 0) {
      // Check the ids here so that a bad one is reported with the layer and the vocabulary size.
      int32_t lo = min(flat).item<int32_t>(), hi = max(flat).item<int32_t>();
      if (lo < 0 || hi >= inputDim_)
        throw Error(describe() + ": input id " + std::to_string(lo < 0 ? lo : hi) + " is out of range [0, " +
                    std::to_string(inputDim_) + ") (config.input_dim = " + std::to_string(inputDim_) + ")");
    }
    Tensor rows = gather(embeddings_, flat);
    return {reshape(rows, outputShape(inputs[0].shape()))};
  }

 private:
  SymShape outputShape(const SymShape& s) const {
    SymShape out;
    if (!inputLength_) {
      out = s;
    } else {
      const SymShape& lens = *inputLength_;
      auto fail = [&]() {
        return Error(cfg().where("input_length") + " is " + shapeText(lens) + ", but the input has shape " +
                     shapeText(s));
      };
      if (s.empty() || lens.size() != s.size() - 1) throw fail();
      out.push_back(s[0]);
      for (size_t k = 0; k < lens.size(); ++k) {
        if (lens[k] >= 0 && s[k + 1] >= 0 && lens[k] != s[k + 1]) throw fail();
        out.push_back(lens[k] >= 0 ? lens[k] : s[k + 1]);
      }
    }
    out.push_back(outputDim_);
    return out;
  }

  int64_t inputDim_ = 0, outputDim_ = 0;
  bool maskZero_ = false;
  std::optional<SymShape> inputLength_;
  Variable embeddings_;
};

LayerRegistrar registrar{{"Embedding", make<Embedding>}};

}  // namespace

}  // namespace strata::layers
