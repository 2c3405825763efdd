import Foundation
import Tensor

/// Writes F32 tensors as a safetensors file (used for saved Mamba states and
/// by tests that build hostile files). Written to a temporary file and renamed,
/// so a crash never leaves a half-written file under the real name.
public enum SafeTensorsWriter {
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    let names = tensors.keys.sorted()
    for name in names {
      let tensor = tensors[name]!
      let bytes = tensor.count * 4
      header[name] =
        ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
      offset += bytes
    }
    var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
    // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var data = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    for name in names { tensors[name]!.scalars.withUnsafeBytes { data.append(contentsOf: $0) } }
    return data
  }

  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
    try encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}
