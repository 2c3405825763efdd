import Alerts
import FuzzSupport

/// Any bytes as an outbox record left on disk (a crash mid-write, a full disk,
/// an operator's editor): a whole message or nil, and a message is exactly
/// what its header announces.
runFuzzer { data, size in
  let input = FuzzInput(data, size).data
  guard let message = Outbox.decode(input, sequence: 7) else { return 0 }
  precondition(message.sequence == 7 && !message.topic.isEmpty && message.payload.count <= input.count)
  return 0
}
