#pragma once

#include <node_api.h>

namespace mqlab {

/** writeSome(fd, buffers): one non-blocking writev (socket_write.cc). */
void InitSocketWrite(napi_env env, napi_value exports);

}  // namespace mqlab
