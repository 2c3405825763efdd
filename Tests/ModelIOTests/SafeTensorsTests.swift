import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

@Suite struct SafeTensorsTests {
  let directory: URL
  init() throws { directory = try Repository.temporaryDirectory("safetensors") }

  private func file(_ name: String, _ data: Data) throws -> String {
    let path = directory.appendingPathComponent(name).path
    try data.write(to: URL(fileURLWithPath: path))
    return path
  }

  /// A file with `header` (JSON text) and `dataBytes` zero bytes of data.
  private func raw(_ header: String, dataBytes: Int, declaredLength: UInt64? = nil) -> Data {
    var data = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(Data(header.utf8))
    data.append(Data(count: dataBytes))
    return data
  }

  private func openError(_ data: Data) throws -> String {
    let path = try file("bad-\(UUID().uuidString).safetensors", data)
    do {
      _ = try SafeTensors(path: path)
      return "opened without error"
    } catch {
      return "\(error)".replacingOccurrences(of: path, with: "FILE")
    }
  }

  @Test func roundTripsF32WithMetadata() throws {
    let tensors = [
      "a.weight": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [1], scalars: [-0.5]),
      "empty": Tensor(shape: [0, 4], scalars: []),
    ]
    let path = directory.appendingPathComponent("ok.safetensors").path
    try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: path)
    let loaded = try SafeTensors(path: path)
    #expect(loaded.names == ["a.weight", "b", "empty"])
    #expect(loaded.metadata == ["format": "pt"])
    for (name, tensor) in tensors { #expect(try loaded.tensor(name) == tensor) }
  }

  @Test func widensF16AndBF16() throws {
    let header =
      #"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}"#
    var data = raw(header, dataBytes: 0)
    for bits: UInt16 in [0x3C00, 0xC000, 0x3555] {
      withUnsafeBytes(of: bits.littleEndian) { data.append(contentsOf: $0) }
    }
    for value: Float in [1.5, -3.25] {
      withUnsafeBytes(of: UInt16(value.bitPattern >> 16).littleEndian) { data.append(contentsOf: $0) }
    }
    let loaded = try SafeTensors(path: try file("half.safetensors", data))
    let half = try loaded.tensor("h").scalars
    #expect(half[0] == 1 && half[1] == -2 && abs(half[2] - 0.333_25) < 1e-4)
    #expect(try loaded.tensor("b").scalars == [1.5, -3.25])
  }

  @Test func rejectsHostileAndDamagedFiles() throws {
    let good = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    #expect(try openError(Data([1, 2, 3])) == "FILE: too short for a safetensors file (3 bytes)")
    #expect(try openError(raw(good, dataBytes: 8, declaredLength: 1 << 40)).contains("larger than the"))
    #expect(
      try openError(raw(good, dataBytes: 0, declaredLength: 500)).hasPrefix("FILE: truncated: header says 500 bytes"))
    #expect(try openError(raw("{not json", dataBytes: 0)) == "FILE: header is not valid JSON")
    #expect(try openError(raw("[1,2]", dataBytes: 0)) == "FILE: header is not a JSON object")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8))
        == "FILE: tensor 't': unknown dtype 'F33'")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4))
        == "FILE: tensor 't': data_offsets [0, 8] outside the 4-byte data section")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8))
        == "FILE: tensor 't': shape [3] × F32 needs 12 bytes but data_offsets span 8")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8))
        == "FILE: tensor 't': shape [-2] has a negative dimension")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, dataBytes: 8))
        .hasPrefix("FILE: tensor 't': entry must be"))
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataBytes: 8))
        .contains("outside the"))
    let overlapping =
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
    #expect(try openError(raw(overlapping, dataBytes: 12)) == "FILE: tensor 'b': data overlaps tensor 'a'")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, dataBytes: 8))
        .contains("too large"))
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[2]}}"#, dataBytes: 8)) == "FILE: tensor 't': no data_offsets")
    #expect(
      try openError(raw(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, dataBytes: 8))
        == "FILE: tensor 't': data_offsets must be [begin, end]")
    #expect(
      try openError(raw(#"{"__metadata__":{"a":1}}"#, dataBytes: 0)) == "FILE: __metadata__ must map strings to strings"
    )
  }

  @Test func missingFileAndMissingOrMisshapenTensorAreNamed() throws {
    #expect(throws: ModelError.self) { try SafeTensors(path: directory.appendingPathComponent("none").path) }
    let path = directory.appendingPathComponent("w.safetensors").path
    try SafeTensorsWriter.write(["w": Tensor(zeros: [3, 4]), "i": Tensor(zeros: [1])], to: path)
    let loaded = try SafeTensors(path: path)
    #expect(throws: ModelError(file: path, tensor: "nope", "missing")) { try loaded.tensor("nope") }
    #expect(throws: ModelError(file: path, tensor: "w", "shape [3, 4] does not match the expected [4, 3]")) {
      try loaded.tensor("w", shape: [4, 3])
    }
  }

  @Test func integerTensorIsNotAWeight() throws {
    var data = raw(#"{"n":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 0)
    data.append(contentsOf: [1, 0, 0, 0])
    let loaded = try SafeTensors(path: try file("int.safetensors", data))
    #expect(throws: ModelError(file: loaded.path, tensor: "n", "dtype I32 is not a float type")) {
      try loaded.tensor("n")
    }
  }
}
