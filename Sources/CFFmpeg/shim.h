// Why this file exists: Swift cannot import FFmpeg's function-like macros
// (AVERROR, FFERRTAG-based error codes, AV_NOPTS_VALUE) or av_err2str, which
// uses a compound literal. Each is wrapped here as a prefixed static inline.
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

/// AVERROR(errno): FFmpeg's negative errno convention.
static inline int cffmpeg_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int cffmpeg_error_eof(void) { return AVERROR_EOF; }
static inline int cffmpeg_error_exit(void) { return AVERROR_EXIT; }
static inline int cffmpeg_error_invalid_data(void) { return AVERROR_INVALIDDATA; }
static inline int cffmpeg_error_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int cffmpeg_error_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int cffmpeg_error_protocol_not_found(void) { return AVERROR_PROTOCOL_NOT_FOUND; }
static inline int cffmpeg_error_demuxer_not_found(void) { return AVERROR_DEMUXER_NOT_FOUND; }
static inline int cffmpeg_error_http_bad_request(void) { return AVERROR_HTTP_BAD_REQUEST; }
static inline int cffmpeg_error_http_unauthorized(void) { return AVERROR_HTTP_UNAUTHORIZED; }
static inline int cffmpeg_error_http_forbidden(void) { return AVERROR_HTTP_FORBIDDEN; }
static inline int cffmpeg_error_http_not_found(void) { return AVERROR_HTTP_NOT_FOUND; }
static inline int cffmpeg_error_http_other_4xx(void) { return AVERROR_HTTP_OTHER_4XX; }
static inline int cffmpeg_error_http_server_error(void) { return AVERROR_HTTP_SERVER_ERROR; }
static inline int64_t cffmpeg_nopts_value(void) { return AV_NOPTS_VALUE; }

/// av_err2str without the compound literal: writes into the caller's buffer.
static inline const char *cffmpeg_error_string(int errnum, char *buffer, size_t size) {
  av_strerror(errnum, buffer, size);
  return buffer;
}

#endif
