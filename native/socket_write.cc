// writeSome(fd, buffers) -> bytes written (0 up to their total), or minus
// errno: one writev(2) of the buffers to a non-blocking socket, again after
// EINTR, never waiting. The HTTP/2 endpoint's answers go out by it when
// Node's stream holds nothing for the socket (socket-output.ts): a
// receive's answer through the stream cost its cork, its write queue and
// its write request about as much CPU as the writev itself; the stream
// takes what the socket had no room for.
#include <errno.h>
#include <limits.h>
#include <sys/uio.h>

#include <vector>

#include "napi_args.h"

namespace mqlab {
namespace {

napi_value WriteSome(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!Args(env, info, argv)) return Fail(env, "writeSome(fd, buffers)");
  const double fdArg = NumberArg(env, argv[0]);
  if (!(fdArg >= 0 && fdArg <= INT_MAX)) return Fail(env, "writeSome: fd must be a descriptor number");
  uint32_t count = 0;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) return Fail(env, "writeSome: buffers must be an array");
  if (count > IOV_MAX) count = IOV_MAX;  // the rest is the caller's, as any short write
  std::vector<iovec> iov(count);
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value b;
    uint8_t* data = nullptr;
    size_t length = 0;
    if (napi_get_element(env, argv[1], i, &b) != napi_ok || !BufferArg(env, b, data, length)) return Fail(env, "writeSome: buffers must be Buffers");
    iov[i] = {data, length};
    total += length;
  }
  if (total == 0) return Number(env, 0);
  ssize_t n;
  do n = writev(static_cast<int>(fdArg), iov.data(), static_cast<int>(count));
  while (n < 0 && errno == EINTR);
  return Number(env, n < 0 ? -static_cast<double>(errno) : static_cast<double>(n));
}

}  // namespace

void InitSocketWrite(napi_env env, napi_value exports) { Export(env, exports, "writeSome", WriteSome); }

}  // namespace mqlab
