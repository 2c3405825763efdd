import ModelIO
import Tensor

// Saving and restoring per-stream temporal state (a restarted daemon resumes
// where it was). Stream time is not kept: the next run's streams start their
// own clocks, so the caller supplies the gap when it steps again.

extension TemporalAdapter.State {
  /// The Mamba state as safetensors tensors and metadata.
  public func saved() -> (tensors: [String: Tensor], metadata: [String: String]) { mamba.saved() }

  /// A state saved for this adapter's shapes; another model's is refused with both shapes named.
  public init(restoring file: SafeTensors, adapter: TemporalAdapter) throws(ModelError) {
    self.init(mamba: try MambaState(restoring: file, config: adapter.config), lastTime: nil)
  }
}

extension MultiHorizonPooling.State {
  /// The pools (horizons × dimension), the previous embedding and the novelty.
  public func saved() -> (tensors: [String: Tensor], metadata: [String: String]) {
    let dimension = pooled.first?.count ?? 0
    var tensors = ["pooled": Tensor(shape: [pooled.count, dimension], scalars: pooled.flatMap { $0 })]
    if let previous { tensors["previous"] = Tensor(shape: [previous.count], scalars: previous) }
    return (tensors, ["novelty": String(novelty)])
  }
}

extension MultiHorizonPooling {
  /// A state saved for these horizons and this dimension.
  public func restoreState(_ file: SafeTensors) throws(ModelError) -> State {
    let pooled = try file.tensor("pooled", shape: [horizons.count, dimension]).scalars
    let previous = try file.entries["previous"].map { _ throws(ModelError) in
      try file.tensor("previous", shape: [dimension]).scalars
    }
    guard pooled.allSatisfy(\.isFinite), previous?.allSatisfy(\.isFinite) ?? true else {
      throw ModelError(file: file.path, "saved pooling state holds non-finite values")
    }
    let novelty = Double(file.metadata["novelty"] ?? "").flatMap { (0...2).contains($0) ? $0 : nil } ?? 0
    var state = makeState()
    state.pooled = (0..<horizons.count).map { Array(pooled[$0 * dimension..<($0 + 1) * dimension]) }
    state.previous = previous
    state.novelty = novelty
    return state
  }
}
