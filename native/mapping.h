#pragma once
#include <napi.h>

namespace mqlab {
void InitMapping(Napi::Env env, Napi::Object exports);
}
