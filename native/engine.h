// The engine interface. An engine takes batches of ops and completes each one
// exactly once through the CompletionSink, from whatever thread it likes.
// Engines are created per env and never share state across envs; each one
// is a row of the registry (engines.cc).
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>

#include "op.h"

namespace posix_aio {

// Receives finished ops.
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  // Thread-safe: queues the ops and wakes the loop thread, which hands them
  // to JS on its next turn.
  virtual void Complete(Op* const* ops, size_t count) = 0;
  // Loop thread only, from a libuv callback (never from inside a call made
  // by JS): hands the ops to JS right now, saving the wake-up. For engines
  // that reap their completions on the loop thread.
  virtual void Deliver(Op* const* ops, size_t count) = 0;
};

// Return values of Engine::Cancel. The glue exports these numbers as
// AIO.AIO_CANCELED and friends (the platform's own <aio.h> values differ
// between Linux and macOS, so engines translate).
enum CancelResult : int {
  kCanceled = 0,
  kNotCanceled = 1,
  kAllDone = 2,
};

// Of two cancel outcomes, the one that tells the caller the most: an error,
// then "some could not be canceled", then "some were canceled".
inline int CombineCancel(int a, int b) {
  if (a < 0) return a;
  if (b < 0) return b;
  if (a == kNotCanceled || b == kNotCanceled) return kNotCanceled;
  if (a == kCanceled || b == kCanceled) return kCanceled;
  return kAllDone;
}

// glibc has no lio_listio limit (sysconf says -1); this is the chunk the
// engines use where the platform sets none.
constexpr size_t kDefaultChunkSize = 1024;

class Engine {
 public:
  explicit Engine(CompletionSink& sink) : sink_(sink) {}
  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  virtual const char* Name() const = 0;

  // How many ops one kernel submission takes (AIO.LISTIO_MAX). Callers may
  // pass larger batches; the engine splits them.
  virtual size_t ChunkSize() const = 0;

  // Starts every op; each completes later through the sink. Never blocks on
  // the IO itself. An op the engine cannot start completes with -errno.
  // `together`: the caller waits for the whole batch, so the engine hands
  // each chunk's ops to the sink in one piece (one notification per chunk);
  // otherwise each op goes as soon as it is done (the posix engine still
  // hears of a lio_listio chunk only once).
  virtual void Submit(Op* const* ops, size_t count, bool together) = 0;

  // Runs every op to completion before returning (LIO_WAIT). Results land in
  // op->result; the sink is not used for these ops.
  virtual void SubmitWait(Op* const* ops, size_t count) {
    for (size_t i = 0; i < count; ++i) RunBlocking(*ops[i]);
  }

  // Cancels `op`, one this engine was given, if it has not started. Returns
  // a CancelResult (kAllDone once the engine has completed it) or -errno.
  // A canceled op still completes through the sink, with -ECANCELED.
  virtual int Cancel(Op* op) = 0;

  // At process exit, while JS blocks the loop thread waiting for ops (the
  // loop will not turn again): does for the work in flight what the loop's
  // callbacks would have done (hands held-back requests to the kernel,
  // reaps, notices lost notifications), reporting finished ops through
  // Complete. Never blocks for long.
  virtual void Drive() {}

  // At process exit: whether `op` has run, its effect made (a write is in
  // the kernel's hands), though its result may not be final yet. Loop
  // thread.
  virtual bool HasRun(const Op& op) { return IsFinished(op); }

  // Env teardown: cancel what can be canceled (this env's ops only) and wait
  // for everything else, so that no buffer is touched after this returns.
  // Called once, on the loop thread; every op still reaches the sink.
  virtual void Shutdown() = 0;

 protected:
  CompletionSink& sink_;
};

// An engine's factory: null, with the reason in *why, when the kernel or the
// platform refuses it here.
using EngineFactory = std::unique_ptr<Engine> (*)(uv_loop_t* loop,
                                                  CompletionSink& sink,
                                                  std::string* why);

// The registry: every engine, in the order they are tried by default.
struct EngineEntry {
  const char* name;
  EngineFactory make;  // null: not compiled into this build
};

extern const EngineEntry kEngines[];
extern const size_t kEngineCount;

}  // namespace posix_aio
