import Hummingbird

/// No endpoint takes a body (the one `POST` says all in its path), so a request carrying one is refused with
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
