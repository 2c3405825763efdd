import Foundation
import Mamba
import ModelIO
import Tensor
import TestSupport
import Testing

/// M4 and L11 for temporal weights: a zero dimension trapped in
/// `MambaConfig`; a NaN layer-norm epsilon loaded and silenced every rule.
@Suite struct AdapterFaultTests {
  private func write(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> String {
    let path = try Repository.temporaryDirectory("adapter-faults").appendingPathComponent("t.safetensors").path
    try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
    return path
  }

  private func loadError(_ path: String) -> String {
    do {
      _ = try TemporalAdapter(file: try SafeTensors(path: path))
      return "loaded"
    } catch {
      return "\(error)"
    }
  }

  @Test func m4ZeroDimensionIsAnErrorNotATrap() throws {
    let path = try write([
      "in_proj.weight": Tensor(zeros: [128, 64]), "A_log": Tensor(zeros: [64, 0]),
      "conv1d.weight": Tensor(zeros: [64, 1, 4]), "dt_proj.weight": Tensor(zeros: [64, 4]),
    ])
    #expect(loadError(path).contains("A_log") && loadError(path).contains("dimension 0 is outside 1…1024"))
  }

  /// The embedded model's adapter, to be written again with other metadata.
  private func shipped() throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let file = try SafeTensors(
      path: Repository.root.appendingPathComponent("models/synthetic/temporal.safetensors").path)
    var tensors: [String: Tensor] = [:]
    for name in file.names { tensors[name] = try file.tensor(name) }
    return (tensors, file.metadata)
  }

  @Test func l11NaNLayerNormEpsilonIsRefused() throws {
    var (tensors, metadata) = try shipped()
    metadata["layer_norm_eps"] = "nan"
    #expect(loadError(try write(tensors, metadata: metadata)).contains("layer_norm_eps must be positive"))
  }

  /// The trained range of frame intervals: the nominal one alone unless the metadata says more.
  @Test func trainedIntervalsAreReadAndChecked() throws {
    var (tensors, metadata) = try shipped()
    let nominal = try #require(Double(metadata["nominal_interval"] ?? ""))
    let alone = try TemporalAdapter(file: try SafeTensors(path: try write(tensors, metadata: metadata)))
    #expect(alone.trainedIntervals == nominal...nominal)
    metadata["min_interval"] = "0.125"
    metadata["max_interval"] = "1"
    let ranged = try TemporalAdapter(file: try SafeTensors(path: try write(tensors, metadata: metadata)))
    #expect(ranged.trainedIntervals == 0.125...1)
    metadata["max_interval"] = "0.2"
    #expect(
      loadError(try write(tensors, metadata: metadata)).contains("min_interval ≤ nominal_interval ≤ max_interval"))
    metadata["max_interval"] = "-1"
    #expect(loadError(try write(tensors, metadata: metadata)).contains("max_interval must be a positive number"))
  }
}
