// mqlab's native addon: file-to-socket transfer by three strategies with
// system-call counters, file mappings, hardware CRC-32C, stored records
// encoded as RocketMQ deliveries, RocketMQ sends read into record batches,
// and the HTTP/2 endpoint's non-blocking socket writes.
#include <napi.h>

#include "crc32.h"
#include "crc32c.h"
#include "mapped_read.h"
#include "mapping.h"
#include "rmq_records.h"
#include "socket_write.h"
#include "threadpool_send.h"
#include "transfer.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mqlab::InitTransfer(env, exports);
  mqlab::InitMapping(env, exports);
  mqlab::InitMappedRead(env, exports);
  mqlab::InitCrc32c(env, exports);
  mqlab::InitCrc32(env, exports);
  mqlab::InitThreadpoolSend(env, exports);
  mqlab::InitRmqScan(env, exports);
  mqlab::InitRmqDeliveries(env, exports);
  mqlab::InitRmqSend(env, exports);
  mqlab::InitRmqSendAnswer(env, exports);
  mqlab::InitRmqAcks(env, exports);
  mqlab::InitSocketWrite(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(mqlab_native, Init)
