import ModelIO
import Tensor

/// SigLIP's image pooling (`SiglipMultiheadAttentionPoolingHead`): one learned
/// probe attends over every token of an image (`nn.MultiheadAttention`), then
///
///     r ← out_proj(attention(probe, tokens, tokens))
///     embedding ← r + fc2(act(fc1(layernorm(r))))
///
/// The probe is the same for every image, so its query projection is computed
/// once at load; per image only keys and values are multiplied.
struct AttentionPoolingHead: Sendable {
  let query: [Float]  // (H): probe · W_qᵀ + b_q, already scaled by 1/√(head size)
  let keyValue: Linear  // (2H, H): in_proj_weight's key and value rows
  let keyValueBias: [Float]  // (2H)
  let out: Linear  // (H, H)
  let outBias: [Float]  // (H)
  let normWeight: [Float]  // (H)
  let normBias: [Float]  // (H)
  let fc1: Linear  // (I, H)
  let fc1Bias: [Float]  // (I)
  let fc2: Linear  // (H, I)
  let fc2Bias: [Float]  // (H)
  let tower: CLIPConfig.Tower

  init(file: SafeTensors, prefix: String, tower: CLIPConfig.Tower, precision: Precision) throws(ModelError) {
    let (h, i) = (tower.hiddenSize, tower.intermediateSize)
    func load(_ name: String, _ shape: [Int]) throws(ModelError) -> [Float] {
      try file.tensor(prefix + name, shape: shape).scalars
    }
    let inProjection = try load("attention.in_proj_weight", [3 * h, h])
    let inBias = try load("attention.in_proj_bias", [3 * h])
    let probe = try load("probe", [1, 1, h])
    let scale = 1 / Float(h / tower.heads).squareRoot()
    query = (0..<h).map { row in
      var sum = inBias[row]
      for column in 0..<h { sum += inProjection[row * h + column] * probe[column] }
      return sum * scale
    }
    keyValue = Linear(weight: Array(inProjection[(h * h)...]), outFeatures: 2 * h, inFeatures: h, precision: precision)
    keyValueBias = Array(inBias[h...])
    out = Linear(
      weight: try load("attention.out_proj.weight", [h, h]), outFeatures: h, inFeatures: h, precision: precision)
    outBias = try load("attention.out_proj.bias", [h])
    normWeight = try load("layernorm.weight", [h])
    normBias = try load("layernorm.bias", [h])
    fc1 = Linear(weight: try load("mlp.fc1.weight", [i, h]), outFeatures: i, inFeatures: h, precision: precision)
    fc1Bias = try load("mlp.fc1.bias", [i])
    fc2 = Linear(weight: try load("mlp.fc2.weight", [h, i]), outFeatures: h, inFeatures: i, precision: precision)
    fc2Bias = try load("mlp.fc2.bias", [h])
    self.tower = tower
  }

  /// Floats of scratch `pool` needs for `batch` images of `tokens` positions.
  static func scratchCount(batch: Int, tokens: Int, tower: CLIPConfig.Tower) -> Int {
    batch * tokens * 2 * tower.hiddenSize + batch * (tower.hiddenSize + tower.intermediateSize) + tokens
  }

  /// hidden (batch·tokens, H), already post-LayerNorm → pooled (batch, H).
  func pool(
    _ hidden: UnsafePointer<Float>, batch: Int, tokens: Int, scratch: UnsafeMutablePointer<Float>,
    into pooled: UnsafeMutablePointer<Float>
  ) {
    let h = tower.hiddenSize
    let headSize = h / tower.heads
    let keysValues = scratch  // (batch·tokens, 2H): keys | values per row
    let attended = keysValues + batch * tokens * 2 * h  // (batch, H)
    let intermediate = attended + batch * h  // (batch, I)
    let scores = intermediate + batch * tower.intermediateSize  // (tokens)
    keyValue.apply(hidden, rows: batch * tokens, bias: keyValueBias, into: keysValues)
    query.withUnsafeBufferPointer { query in
      for b in 0..<batch {
        let rows = keysValues + b * tokens * 2 * h
        for head in 0..<tower.heads {
          let offset = head * headSize
          // scores (tokens) = K_h · q_h, then softmax; attended_h = V_hᵀ · scores.
          BLAS.gemv(
            rows: tokens, columns: headSize, matrix: rows + offset, stride: 2 * h, x: query.baseAddress! + offset,
            y: scores)
          Softmax.rows(scores, rows: 1, columns: tokens)
          BLAS.gemv(
            rows: tokens, columns: headSize, matrix: rows + h + offset, stride: 2 * h, x: scores,
            y: attended + b * h + offset, transpose: true)
        }
      }
    }
    out.apply(attended, rows: batch, bias: outBias, into: pooled)
    LayerNorm.apply(
      pooled, rows: batch, columns: h, weight: normWeight, bias: normBias, eps: tower.layerNormEps, into: attended)
    fc1.apply(attended, rows: batch, bias: fc1Bias, into: intermediate)
    tower.activation.apply(UnsafeMutableBufferPointer(start: intermediate, count: batch * tower.intermediateSize))
    fc2.apply(intermediate, rows: batch, bias: fc2Bias, accumulate: true, into: pooled)
  }
}

extension CLIPConfig.Activation {
  /// x ← act(x) in place, vectorised.
  func apply(_ x: UnsafeMutableBufferPointer<Float>) {
    switch self {
    case .quickGELU: FastMath.quickGELU(x)
    case .gelu: FastMath.gelu(x)
    case .geluTanh: FastMath.geluTanh(x)
    }
  }
}
