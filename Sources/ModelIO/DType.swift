/// Element types a safetensors file may declare. Only the float ones can be
/// loaded as weights; the rest are recognised so the error can say so.
public enum DType: String, Sendable, CaseIterable {
  case f64 = "F64"
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"
  case i64 = "I64"
  case i32 = "I32"
  case i16 = "I16"
  case i8 = "I8"
  case u8 = "U8"
  case bool = "BOOL"
  case u16 = "U16"
  case u32 = "U32"
  case u64 = "U64"
  case f8e4m3 = "F8_E4M3"
  case f8e5m2 = "F8_E5M2"

  public var byteSize: Int {
    switch self {
    case .f64, .i64, .u64: return 8
    case .f32, .i32, .u32: return 4
    case .f16, .bf16, .i16, .u16: return 2
    case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
    }
  }
}
