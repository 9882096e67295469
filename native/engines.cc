// The one engine registry: name, compiled in, factory. The JS layer reads
// the names and their order from here (AIO_BACKEND, the default choice).
#include "engine.h"

namespace posix_aio {

std::unique_ptr<Engine> MakeUringEngine(uv_loop_t*, CompletionSink&, std::string*);
std::unique_ptr<Engine> MakePosixEngine(uv_loop_t*, CompletionSink&, std::string*);
std::unique_ptr<Engine> MakeThreadPoolEngine(uv_loop_t*, CompletionSink&, std::string*);

#if defined(AIO_HAVE_URING)
constexpr EngineFactory kUring = MakeUringEngine;
#else
constexpr EngineFactory kUring = nullptr;
#endif
#if defined(AIO_HAVE_POSIX_AIO)
constexpr EngineFactory kPosix = MakePosixEngine;
#else
constexpr EngineFactory kPosix = nullptr;
#endif

const EngineEntry kEngines[] = {
    {"io_uring", kUring},
    {"posix", kPosix},
    {"threadpool", MakeThreadPoolEngine},
};
const size_t kEngineCount = sizeof(kEngines) / sizeof(kEngines[0]);

}  // namespace posix_aio
