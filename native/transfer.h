#pragma once
#include <napi.h>

namespace mqlab {
void InitTransfer(Napi::Env env, Napi::Object exports);
}
