#pragma once
#include <napi.h>

namespace mqlab {
void InitMappedRead(Napi::Env env, Napi::Object exports);
}
