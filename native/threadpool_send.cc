// sendOnThreadPool(strategy, fd, header, regions, onDone): the same send,
// run on a libuv thread-pool thread that blocks in poll(2) when the socket
// is full. It exists so the benchmark can measure the design we did not
// choose: every send pays a hop to the pool and back, and a slow reader pins
// a pool thread (the pool has four by default). Not used by the broker.
#include "threadpool_send.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "send_job.h"

namespace mqlab {

namespace {

class PoolSend : public Napi::AsyncWorker {
 public:
  PoolSend(Napi::Function callback, SendJob* job) : Napi::AsyncWorker(callback, "mqlab.poolSend"), job_(job) {}
  ~PoolSend() override { delete job_; }

  void Execute() override {
    for (;;) {
      StepResult r = job_->Step();
      if (r == StepResult::kDone) return;
      if (r == StepResult::kError) {
        SetError(std::string(job_->failedSyscall()) + ": " + std::strerror(job_->error()));
        return;
      }
      struct pollfd p = {sock_, POLLOUT, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) {
        SetError(std::string("poll: ") + std::strerror(errno));
        return;
      }
    }
  }

  void set_sock(int sock) { sock_ = sock; }

 private:
  SendJob* job_;
  int sock_ = -1;
};

Napi::Value SendOnThreadPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int strategy = info[0].As<Napi::Number>().Int32Value();
  const int sock = info[1].As<Napi::Number>().Int32Value();
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
  auto* job = new SendJob(strategy, sock, header, headerLength, std::move(regions));
  if (!job->Prepare()) {
    Napi::Error::New(env, std::strerror(job->error())).ThrowAsJavaScriptException();
    delete job;
    return env.Undefined();
  }
  // Detach on this thread: the header is copied and the fds dup'd before the
  // pool thread sees them.
  const int dupSock = job->Detach();
  auto* worker = new PoolSend(info[4].As<Napi::Function>(), job);
  worker->set_sock(dupSock);
  worker->Queue();
  return env.Undefined();
}

}  // namespace

void InitThreadpoolSend(Napi::Env env, Napi::Object exports) {
  exports.Set("sendOnThreadPool", Napi::Function::New(env, SendOnThreadPool, "sendOnThreadPool"));
}

}  // namespace mqlab
