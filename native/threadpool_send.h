#pragma once
#include <napi.h>

namespace mqlab {
void InitThreadpoolSend(Napi::Env env, Napi::Object exports);
}
