#pragma once
#include <napi.h>
#include <cstddef>
#include <cstdint>

namespace mqlab {
// CRC-32C (Castagnoli), as Kafka's record batch v2 uses. `crc` is the value
// of the bytes before these (0 to start), so calls chain.
uint32_t Crc32c(uint32_t crc, const uint8_t* data, size_t length);
void InitCrc32c(Napi::Env env, Napi::Object exports);
}
