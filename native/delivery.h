// The completion sink: finished ops -> one JS callback per drain. Engines
// report ops from any thread (Complete); the first op to land in an empty
// queue wakes the loop through a thread-safe function, whose callback takes
// the whole queue back (InFlight::Retire) and calls JS once with every
// (token, index, result) triple. Engines that reap on the loop thread hand
// ops over directly (Deliver).
#pragma once

#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "batch.h"
#include "engine.h"

namespace posix_aio {

class Delivery final : public CompletionSink {
 public:
  // Creates the thread-safe function; throws if it cannot.
  Delivery(Napi::Env env, InFlight& in_flight);

  // The JS function that takes the triples.
  void SetCallback(Napi::Function on_complete);

  void Complete(Op* const* ops, size_t count) override;
  void Deliver(Op* const* ops, size_t count) override;

  // At process exit, while JS blocks the loop thread: how many ops have
  // arrived so far, and a wait until one more arrives, or `timeout` (ops
  // finished on the pool arrive only once the loop turns: hence the
  // timeout).
  uint64_t Arrivals();
  void AwaitArrival(uint64_t seen, std::chrono::milliseconds timeout);

  // While ops are in flight the loop stays alive for their completions.
  void KeepAlive(bool alive);

  // Teardown, on the loop thread. Stop: from now on completions are only
  // queued. TakeQueued: what was queued and not delivered. Release: the
  // thread-safe function and the callback go.
  void Stop();
  std::vector<Op*> TakeQueued();
  void Release();

  uint64_t completed() const { return completed_; }
  uint64_t notifications() const { return notifications_; }

 private:
  static void CallJs(napi_env env, napi_value, void* context, void*);
  void Drain();
  void Handoff(Op* const* ops, size_t count, bool own_scope);

  napi_env env_;
  InFlight& in_flight_;
  Napi::FunctionReference on_complete_;
  napi_threadsafe_function wake_ = nullptr;
  napi_async_context async_context_ = nullptr;
  bool alive_ = false;  // loop thread

  std::mutex mutex_;
  std::vector<Op*> queued_;  // guarded by mutex_
  bool stopped_ = false;     // guarded by mutex_
  uint64_t arrivals_ = 0;    // guarded by mutex_
  bool awaited_ = false;     // guarded by mutex_: AwaitArrival is blocked
  std::condition_variable arrived_;

  std::vector<Op*> draining_;    // loop thread
  std::vector<double> triples_;  // loop thread
  uint64_t completed_ = 0;       // loop thread
  uint64_t notifications_ = 0;   // loop thread
};

}  // namespace posix_aio
