import Foundation
import FuzzSupport
import ModelIO

/// Any bytes as a checkpoint's `config.json` (first byte even) or
/// `preprocessor_config.json` (odd): a bounded configuration or a `ModelError`.
runFuzzer { data, size in
  let input = FuzzInput(data, size)
  guard let selector = input.bytes.first else { return 0 }
  let rest = input.data.dropFirst()
  if selector & 1 == 0 {
    let path = FuzzInput.write(Data(rest), named: "config.json")
    if let config = try? CLIPConfig(contentsOf: path) {
      // Values a loaded config promises to the encoders (Limits.Model).
      precondition(config.patchesPerSide > 0 && config.imageSize % config.patchSize == 0)
      precondition(config.eosTokenID >= 0 && config.eosTokenID < config.vocabularySize)
    }
  } else {
    _ = try? CLIPFiles.imageProcessing(FuzzInput.write(Data(rest), named: "preprocessor_config.json"), imageSize: 224)
  }
  return 0
}
