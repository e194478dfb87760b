#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace mqlab {

/** CRC-32 (IEEE, zlib's crc32 and node:zlib's) of `data`. */
uint32_t Crc32(const uint8_t* data, size_t length);

/** crc32(data): the same for JavaScript, so tests can hold it to node:zlib. */
void InitCrc32(napi_env env, napi_value exports);

}  // namespace mqlab
