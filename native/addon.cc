// mqlab's native addon: file-to-socket transfer by three strategies with
// system-call counters, file mappings, and hardware CRC-32C.
#include <napi.h>

#include "crc32c.h"
#include "mapping.h"
#include "threadpool_send.h"
#include "transfer.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mqlab::InitTransfer(env, exports);
  mqlab::InitMapping(env, exports);
  mqlab::InitCrc32c(env, exports);
  mqlab::InitThreadpoolSend(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(mqlab_native, Init)
