#pragma once
#include <napi.h>

namespace mqlab {
void InitMappedRead(Napi::Env env, Napi::Object exports);
// Lets go of the kept chunks of fd's file (before it is deleted, as MapCacheForget), or of all.
void ForgetMappedChunks(int fd);
void ClearMappedChunks();
}
