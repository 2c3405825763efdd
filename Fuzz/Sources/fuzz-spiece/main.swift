import CLIP
import FuzzSupport
import ModelIO

/// Any bytes as a SentencePiece model (`spiece.model`): refused with an error,
/// or a tokenizer whose ids always fill the context and end with `</s>`,
/// whatever its pieces, scores and normalisation map hold.
runFuzzer { data, size in
  let bytes = FuzzInput(data, size).data
  guard let model = try? SentencePieceModel(bytes: [UInt8](bytes), path: "spiece.model"),
    let tokenizer = try? SigLIPTokenizer(model: model, path: "spiece.model", contextLength: 16)
  else { return 0 }
  for text in ["a person falls", "  ＡＢ ① ﬁ </s> x<unk>", "東京 ΟΔΟΣ 😀", ""] {
    let ids = tokenizer.encode(text)
    precondition(ids.count == 16 && ids.contains(tokenizer.endID))
    precondition(ids.allSatisfy { $0 >= 0 && Int($0) < model.pieces.count })
  }
  return 0
}
