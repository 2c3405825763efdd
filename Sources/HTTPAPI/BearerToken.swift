import Foundation
import Hummingbird

/// The secret an API client sends as `Authorization: Bearer <token>`.
public struct BearerToken: Sendable, Equatable {
  let bytes: [UInt8]

  /// The token as sent in a header (clients of the API on this machine).
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  /// Shortest token accepted: guessing 16 random characters over the network is hopeless.
  public static let minimumLength = 16

  public init(_ text: String) throws(TokenError) {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.utf8.count >= Self.minimumLength else {
      throw TokenError("is shorter than \(Self.minimumLength) characters")
    }
    guard trimmed.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) else {
      throw TokenError("must be printable ASCII without spaces")
    }
    bytes = Array(trimmed.utf8)
  }

  /// The token in `file` (`[http] token_file`), else in `api-token` under
  /// systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=api-token:…`), else
  /// nil. A file that is named but unreadable or unfit is an error, never "no
  /// token"; an empty credential is none (the shipped unit loads
  /// `/etc/monitor/api-token`, which must exist for it to start, empty when unused).
  public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(TokenError) -> BearerToken?
  {
    let path: String
    if let file {
      path = file
    } else if let directory = environment["CREDENTIALS_DIRECTORY"],
      FileManager.default.fileExists(atPath: directory + "/api-token")
    {
      path = directory + "/api-token"
    } else {
      return nil
    }
    // Read at most 4 KB + 1: a token_file naming a huge file or /dev/zero is refused, not slurped.
    // (`read` answers nil for an empty file: an empty token.)
    let unreadable = TokenError("cannot be read from \(path) (missing, unreadable or larger than 4 KB)", path: path)
    guard let handle = FileHandle(forReadingAtPath: path) else { throw unreadable }
    defer { try? handle.close() }
    let data: Data
    do {
      data = try handle.read(upToCount: 4_097) ?? Data()
    } catch {
      throw unreadable
    }
    guard data.count <= 4_096, let text = String(data: data, encoding: .utf8) else { throw unreadable }
    if file == nil && text.allSatisfy(\.isWhitespace) { return nil }
    do {
      return try BearerToken(text)
    } catch {
      throw TokenError(error.problem, path: path)
    }
  }

  /// Whether `header` (an Authorization value) carries this token; compares in
  /// time independent of where the first difference lies.
  func accepts(_ header: String?) -> Bool {
    guard let header, header.utf8.count < 1_024 else { return false }
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
    let given = Array(parts[1].utf8)
    var difference = UInt8(given.count == bytes.count ? 0 : 1)
    for index in bytes.indices { difference |= bytes[index] ^ (index < given.count ? given[index] : 0) }
    return difference == 0
  }
}

public struct TokenError: Error, Sendable, CustomStringConvertible {
  public var problem: String
  public var path: String?

  init(_ problem: String, path: String? = nil) {
    self.problem = problem
    self.path = path
  }

  public var description: String { "http token" + (path.map { " in \($0)" } ?? "") + " " + problem }
}

/// Every request must carry the token; the answer otherwise is 401 and nothing else.
struct BearerAuthentication<Context: RequestContext>: RouterMiddleware {
  let token: BearerToken

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
    async throws -> Response
  {
    guard token.accepts(request.headers[.authorization]) else {
      throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a bearer token is required")
    }
    return try await next(request, context)
  }
}
