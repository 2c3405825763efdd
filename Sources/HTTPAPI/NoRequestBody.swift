import Hummingbird

/// Every endpoint only reads, so a request carrying a body is refused with
/// 413 before any handler runs, whatever its size: nothing a client uploads
/// is ever buffered.
struct NoRequestBody<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
    async throws -> Response
  {
    let length = request.headers[.contentLength].flatMap { Int($0) } ?? 0
    if length > 0 || request.headers[.transferEncoding] != nil {
      throw HTTPError(.contentTooLarge, message: "this API takes no request body")
    }
    return try await next(request, context)
  }
}
