// send(strategy, socketFd, header, regions, onDone) and friends.
//
// A send is tried synchronously first: on a socket with room in its buffer
// (the common case) it completes inside the call, with no promise, thread or
// event-loop turn. If the socket fills, the job is detached (header copied,
// fds dup'd) and waits for writability with a uv_poll_t on the socket dup —
// the event loop's own epoll, so a slow reader costs no thread. libuv refuses
// a second watcher on the fd that Node's TCP handle already watches, and the
// dup is also what keeps a JavaScript-side close from handing us a reused fd.
#include "transfer.h"

#include <uv.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

#include "counters.h"
#include "map_cache.h"
#include "mapped_read.h"
#include "send_job.h"

namespace mqlab {

namespace {

struct Pending {
  uint32_t id;
  napi_env env;
  SendJob* job;
  uv_poll_t poll;
  Napi::FunctionReference callback;
  Napi::AsyncContext* context;
};

thread_local std::unordered_map<uint32_t, Pending*> t_pending;
thread_local uint32_t t_nextId = 1;

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  std::string message = std::string(syscall) + ": " + std::strerror(err);
  if (err == ENODATA) message = std::string(syscall) + ": region lies past the end of its file";
  if (err == EINVAL && std::strcmp(syscall, "region") == 0) message = "invalid region";
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void OnClosed(uv_handle_t* handle) {
  Pending* p = static_cast<Pending*>(handle->data);
  delete p->job;  // closes the dup'd fds
  delete p->context;
  delete p;
}

// Ends a pending send; calls back unless it was cancelled.
void Finish(Pending* p, bool callBack) {
  t_pending.erase(p->id);
  uv_poll_stop(&p->poll);
  SendJob* job = p->job;
  Napi::Env env(p->env);
  Napi::FunctionReference callback = std::move(p->callback);
  Napi::AsyncContext* context = p->context;
  p->context = nullptr;
  const int err = job->error();
  const char* syscall = job->failedSyscall();
  if (err != 0) CountersFor(job->strategy()).sendsFailed++;
  if (callBack) {
    Napi::HandleScope scope(env);
    napi_value arg = err != 0 ? ErrnoError(env, err, syscall).Value() : env.Null();
    callback.MakeCallback(env.Global(), {arg}, *context);
  }
  delete context;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->poll), OnClosed);
}

void OnWritable(uv_poll_t* handle, int status, int events) {
  Pending* p = static_cast<Pending*>(handle->data);
  // On a poll error, still step: the write reports the socket's real error
  // (EPIPE, ECONNRESET); if it somehow does not, report the poll's.
  StepResult r = p->job->Step();
  if (r == StepResult::kAgain && status < 0) {
    p->job->SetError(-status, "poll");
    r = StepResult::kError;
  }
  if (r == StepResult::kAgain) {
    CountersFor(p->job->strategy()).writableWaits++;
    return;
  }
  Finish(p, true);
}

}  // namespace

bool ReadRegions(const Napi::Value& value, std::vector<Region>* out) {
  if (value.IsUndefined() || value.IsNull()) return true;
  if (!value.IsTypedArray()) return false;
  Napi::TypedArray ta = value.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float64_array || ta.ElementLength() % 3 != 0) return false;
  Napi::Float64Array f = value.As<Napi::Float64Array>();
  const double* d = f.Data();
  out->reserve(f.ElementLength() / 3);
  for (size_t i = 0; i < f.ElementLength(); i += 3) {
    if (d[i] < 0 || d[i + 1] < 0 || d[i + 2] < 0) return false;
    out->push_back({static_cast<int>(d[i]), static_cast<uint64_t>(d[i + 1]), static_cast<uint64_t>(d[i + 2])});
  }
  return true;
}

namespace {

// send(strategy: 0|1|2, fd, header: Buffer | null, regions: Float64Array
// [fd, position, length]*, onDone(err)) -> 0 when finished synchronously, or
// the id of a pending send whose onDone will be called. Throws on failure.
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int strategy = info[0].As<Napi::Number>().Int32Value();
  const int sock = info[1].As<Napi::Number>().Int32Value();
  if (strategy < 0 || strategy >= kStrategyCount || sock < 0 || !info[4].IsFunction()) {
    Napi::TypeError::New(env, "send(strategy, fd, header, regions, onDone): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* header = nullptr;
  size_t headerLength = 0;
  if (info[2].IsBuffer()) {
    auto b = info[2].As<Napi::Buffer<uint8_t>>();
    header = b.Data();
    headerLength = b.Length();
  }
  std::vector<Region> regions;
  if (!ReadRegions(info[3], &regions)) {
    Napi::TypeError::New(env, "regions must be a Float64Array of [fd, position, length] triples").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  SendJob* job = new SendJob(strategy, sock, header, headerLength, std::move(regions));
  StepResult r = job->Prepare() ? job->Step() : StepResult::kError;
  Counters& c = CountersFor(strategy);
  if (r == StepResult::kDone) {
    c.sendsInline++;
    delete job;
    return Napi::Number::New(env, 0);
  }
  if (r == StepResult::kError) {
    c.sendsFailed++;
    Napi::Error e = ErrnoError(env, job->error(), job->failedSyscall());
    delete job;
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }

  c.sendsDeferred++;
  c.writableWaits++;
  const int dupSock = job->Detach();
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  auto* p = new Pending{};
  p->id = t_nextId++;
  if (t_nextId == 0) t_nextId = 1;
  p->env = env;
  p->job = job;
  int rc = dupSock < 0 ? -errno : uv_poll_init(loop, &p->poll, dupSock);
  if (rc != 0) {
    c.sendsFailed++;
    Napi::Error e = ErrnoError(env, -rc, dupSock < 0 ? "dup" : "uv_poll_init");
    delete job;
    delete p;
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  p->poll.data = p;
  p->callback = Napi::Persistent(info[4].As<Napi::Function>());
  p->context = new Napi::AsyncContext(env, "mqlab.send");
  uv_poll_start(&p->poll, UV_WRITABLE, OnWritable);
  t_pending[p->id] = p;
  return Napi::Number::New(env, p->id);
}

// cancel(id) -> true if a pending send was stopped (its onDone is not called).
Napi::Value Cancel(const Napi::CallbackInfo& info) {
  const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  auto it = t_pending.find(id);
  if (it == t_pending.end()) return Napi::Boolean::New(info.Env(), false);
  Finish(it->second, false);
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value PendingCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(t_pending.size()));
}

Napi::Value GetCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object all = Napi::Object::New(env);
  for (int s = 0; s < kStrategyCount; s++) {
    const Counters& c = CountersFor(s);
    Napi::Object o = Napi::Object::New(env);
    o.Set("sends", static_cast<double>(c.sends));
    o.Set("sendsInline", static_cast<double>(c.sendsInline));
    o.Set("sendsDeferred", static_cast<double>(c.sendsDeferred));
    o.Set("sendsFailed", static_cast<double>(c.sendsFailed));
    o.Set("writableWaits", static_cast<double>(c.writableWaits));
    o.Set("eagain", static_cast<double>(c.eagain));
    o.Set("fileBytes", static_cast<double>(c.fileBytes));
    o.Set("headerBytes", static_cast<double>(c.headerBytes));
    o.Set("copiedBytes", static_cast<double>(c.copiedBytes));
    Napi::Object sys = Napi::Object::New(env);
    for (int k = 0; k < kSyscallCount; k++) sys.Set(kSyscallNames[k], static_cast<double>(c.syscalls[k]));
    o.Set("syscalls", sys);
    all.Set(kStrategyNames[s], o);
  }
  return all;
}

Napi::Value ResetCountersJs(const Napi::CallbackInfo& info) {
  ResetCounters();
  return info.Env().Undefined();
}

Napi::Value MapCacheForgetJs(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
  ForgetMappedChunks(fd);
  MapCacheForget(fd);
  return info.Env().Undefined();
}

Napi::Value MapCacheClearJs(const Napi::CallbackInfo& info) {
  ClearMappedChunks();
  MapCacheClear();
  return info.Env().Undefined();
}

Napi::Value MapCacheSizeJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(MapCacheSize()));
}

void CancelAllAtExit(void*) {
  while (!t_pending.empty()) Finish(t_pending.begin()->second, false);
  ClearMappedChunks();
  MapCacheClear();
}

}  // namespace

void InitTransfer(Napi::Env env, Napi::Object exports) {
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("cancel", Napi::Function::New(env, Cancel, "cancel"));
  exports.Set("pendingCount", Napi::Function::New(env, PendingCount, "pendingCount"));
  exports.Set("counters", Napi::Function::New(env, GetCounters, "counters"));
  exports.Set("resetCounters", Napi::Function::New(env, ResetCountersJs, "resetCounters"));
  exports.Set("mapCacheForget", Napi::Function::New(env, MapCacheForgetJs, "mapCacheForget"));
  exports.Set("mapCacheClear", Napi::Function::New(env, MapCacheClearJs, "mapCacheClear"));
  exports.Set("mapCacheSize", Napi::Function::New(env, MapCacheSizeJs, "mapCacheSize"));
  napi_add_env_cleanup_hook(env, CancelAllAtExit, nullptr);
}

}  // namespace mqlab
