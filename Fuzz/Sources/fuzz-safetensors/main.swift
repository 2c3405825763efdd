import FuzzSupport
import ModelIO

/// Any bytes as a `.safetensors` file: the header is validated in full at
/// open, so reading every tensor it lists (as F32) must not read out of bounds.
runFuzzer { data, size in
  let path = FuzzInput.write(FuzzInput(data, size).data, named: "model.safetensors")
  guard let file = try? SafeTensors(path: path) else { return 0 }
  for name in file.names { _ = try? file.tensor(name) }
  return 0
}
