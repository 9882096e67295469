#include "delivery.h"

#include <cstring>

namespace posix_aio {

Delivery::Delivery(Napi::Env env, InFlight& in_flight)
    : env_(env), in_flight_(in_flight) {
  napi_value name = Napi::String::New(env, "posix-aio");
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1,
                                      nullptr, nullptr, this, CallJs,
                                      &wake_) != napi_ok ||
      napi_async_init(env, Napi::Object::New(env), name, &async_context_) != napi_ok) {
    throw Napi::Error::New(env, "posix-aio: cannot create the wake-up");
  }
  napi_unref_threadsafe_function(env, wake_);
}

void Delivery::SetCallback(Napi::Function on_complete) {
  on_complete_ = Napi::Persistent(on_complete);
}

// Any thread.
void Delivery::Complete(Op* const* ops, size_t count) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake = queued_.empty() && !stopped_;
    queued_.insert(queued_.end(), ops, ops + count);
    for (size_t i = 0; i < count; ++i) MarkFinished(*ops[i]);
    arrivals_ += count;
    if (awaited_) arrived_.notify_all();
  }
  // Only the op that makes the queue non-empty wakes the loop: one JS
  // callback then drains everything that arrived meanwhile.
  if (wake) napi_call_threadsafe_function(wake_, nullptr, napi_tsfn_nonblocking);
}

// Loop thread, from a libuv callback.
void Delivery::Deliver(Op* const* ops, size_t count) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      queued_.insert(queued_.end(), ops, ops + count);
      for (size_t i = 0; i < count; ++i) MarkFinished(*ops[i]);
      return;
    }
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) {
    Complete(ops, count);  // JS is not reachable now: deliver later
    return;
  }
  Handoff(ops, count, true);
  napi_close_handle_scope(env_, scope);
}

uint64_t Delivery::Arrivals() {
  std::lock_guard<std::mutex> lock(mutex_);
  return arrivals_;
}

void Delivery::AwaitArrival(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  awaited_ = true;
  arrived_.wait_for(lock, timeout, [&] { return arrivals_ != seen; });
  awaited_ = false;
}

void Delivery::KeepAlive(bool alive) {
  if (alive == alive_) return;
  alive_ = alive;
  if (alive) {
    napi_ref_threadsafe_function(env_, wake_);
  } else {
    napi_unref_threadsafe_function(env_, wake_);
  }
}

void Delivery::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
}

std::vector<Op*> Delivery::TakeQueued() {
  std::vector<Op*> ops;
  std::lock_guard<std::mutex> lock(mutex_);
  ops.swap(queued_);
  return ops;
}

void Delivery::Release() {
  napi_release_threadsafe_function(wake_, napi_tsfn_abort);
  napi_async_destroy(env_, async_context_);
  on_complete_.Reset();
}

void Delivery::CallJs(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the function is being torn down
  static_cast<Delivery*>(context)->Drain();
}

// The thread-safe function's callback: delivers everything queued.
void Delivery::Drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    draining_.swap(queued_);
  }
  Handoff(draining_.data(), draining_.size(), false);
  draining_.clear();
}

// On the loop thread: retires the ops and hands their results to JS in one
// call. From a libuv callback (`own_scope`) the call gets its own callback
// scope, so promise reactions run when it returns.
void Delivery::Handoff(Op* const* ops, size_t count, bool own_scope) {
  if (count == 0) return;
  triples_.resize(count * 3);
  for (size_t i = 0; i < count; ++i) {
    Op& op = *ops[i];
    triples_[3 * i] = static_cast<double>(static_cast<Batch*>(op.batch)->token);
    triples_[3 * i + 1] = op.index;
    triples_[3 * i + 2] = static_cast<double>(op.result);
    in_flight_.Retire(op);  // may free the op
  }
  completed_ += count;
  notifications_ += 1;
  if (in_flight_.ops() == 0) KeepAlive(false);
  if (on_complete_.IsEmpty()) return;
  // Plain N-API from here: while a worker is being terminated these calls
  // fail, and node-addon-api would turn that into a fatal error. A failed
  // call just means JS will never see these results; the ops are retired.
  size_t bytes = triples_.size() * sizeof(double);
  void* data = nullptr;
  napi_value buffer, array, callback, receiver;
  if (napi_create_arraybuffer(env_, bytes, &data, &buffer) != napi_ok ||
      napi_create_typedarray(env_, napi_float64_array, triples_.size(), buffer,
                             0, &array) != napi_ok ||
      napi_get_reference_value(env_, on_complete_, &callback) != napi_ok ||
      napi_get_undefined(env_, &receiver) != napi_ok) {
    return;
  }
  std::memcpy(data, triples_.data(), bytes);
  if (!own_scope) {
    // Inside the thread-safe function's scope; an exception (onComplete
    // never throws by design) stays pending and Node reports it.
    napi_call_function(env_, receiver, callback, 1, &array, nullptr);
    return;
  }
  // napi_make_callback wants an object for `this`.
  napi_value global;
  if (napi_get_global(env_, &global) == napi_ok &&
      napi_make_callback(env_, async_context_, global, callback, 1, &array,
                         nullptr) == napi_pending_exception) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) {
      napi_fatal_exception(env_, error);
    }
  }
}

}  // namespace posix_aio
