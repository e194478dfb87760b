// Plain N-API argument helpers for the addon's hot calls (rmq_scan.cc,
// rmq_deliveries.cc): the C API directly, as node-addon-api's wrappers
// cost a handle scope and objects per argument on calls made per receive.
#pragma once

#include <node_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace mqlab {

inline bool BufferArg(napi_env env, napi_value v, uint8_t*& data, size_t& length) {
  void* d = nullptr;
  if (napi_get_buffer_info(env, v, &d, &length) != napi_ok) return false;
  data = static_cast<uint8_t*>(d);
  return true;
}

inline bool Float64Arg(napi_env env, napi_value v, double*& data, size_t& length) {
  napi_typedarray_type type;
  void* d = nullptr;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &d, &ab, &offset) != napi_ok || type != napi_float64_array) return false;
  data = static_cast<double*>(d);
  return true;
}

inline double NumberArg(napi_env env, napi_value v) {
  double d = NAN;
  napi_get_value_double(env, v, &d);
  return d;
}

inline napi_value Number(napi_env env, double d) {
  napi_value out;
  napi_create_double(env, d, &out);
  return out;
}

inline napi_value Fail(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

/** The call's first N arguments into argv; false if it had fewer. */
template <size_t N>
inline bool Args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc >= N;
}

/** exports[name] = fn. */
inline void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

}  // namespace mqlab
