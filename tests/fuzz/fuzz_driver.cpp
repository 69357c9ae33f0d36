// A stand-in for libFuzzer's main, so that the fuzz targets also build with
// gcc and run in CI for a bounded time: it replays every file of the given
// corpus folders, then mutates them (bit flips, byte and word overwrites
// with boundary values, inserts, erases, duplicated chunks, splices of two
// inputs, truncations) until --seconds pass or --runs inputs ran. The
// sequence of inputs depends only on --seed, so a run with --runs N tries
// the same inputs on every machine fast enough to reach N in time.
// A crash, an abort or a sanitizer report ends the process: the test fails.
// The real thing: tools/fuzz.sh builds the same targets with clang and
// -fsanitize=fuzzer,address,undefined.
//   fuzz_target [--seconds S] [--runs N] [--seed N] [--max-len BYTES] [--suffix .tflite] [--save-current FILE]
//               CORPUS_DIR_OR_FILE...
// (--suffix: only files of the folders whose names end so).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

using Bytes = std::vector<uint8_t>;

Bytes readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void mutate(Bytes& b, const std::vector<Bytes>& corpus, std::mt19937_64& rng, size_t maxLen) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const int steps = 1 + static_cast<int>(pick(4));
  for (int s = 0; s < steps; ++s) {
    switch (pick(9)) {
      case 0:  // flip a bit
        if (!b.empty()) b[pick(b.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:  // set a byte
        if (!b.empty()) b[pick(b.size())] = static_cast<uint8_t>(rng());
        break;
      case 2: {  // a boundary value over 1, 2 or 4 bytes
        static const uint32_t kValues[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 0x80000000};
        const size_t width = size_t{1} << pick(3);
        if (b.size() >= width) {
          const uint32_t v = kValues[pick(10)];
          std::memcpy(&b[pick(b.size() - width + 1)], &v, width);
        }
        break;
      }
      case 3:  // insert random bytes
        if (b.size() < maxLen) {
          const size_t n = 1 + pick(8);
          Bytes ins(n);
          for (auto& x : ins) x = static_cast<uint8_t>(rng());
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), ins.begin(), ins.end());
        }
        break;
      case 4:  // erase a run
        if (!b.empty()) {
          const size_t at = pick(b.size());
          const size_t n = 1 + pick(std::min<size_t>(16, b.size() - at));
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 5:  // duplicate a chunk
        if (!b.empty() && b.size() < maxLen) {
          const size_t at = pick(b.size());
          const size_t n = 1 + pick(std::min<size_t>(64, b.size() - at));
          const Bytes chunk(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), chunk.begin(), chunk.end());
        }
        break;
      case 6: {  // splice: our head, another input's tail
        const Bytes& other = corpus[pick(corpus.size())];
        if (!other.empty()) {
          const size_t cut = pick(b.size() + 1), from = pick(other.size());
          b.resize(cut);
          b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        }
        break;
      }
      case 7:  // truncate
        b.resize(pick(b.size() + 1));
        break;
      default:  // increment or decrement a byte (lengths, counts, indices)
        if (!b.empty()) b[pick(b.size())] += static_cast<uint8_t>(pick(2) ? 1 : 255);
        break;
    }
  }
  if (b.size() > maxLen) b.resize(maxLen);
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  double seconds = 10;
  uint64_t runs = UINT64_MAX;  // mutated inputs at most (with --seconds, whichever ends first)
  uint64_t seed = 1;
  size_t maxLen = 1 << 20;
  std::vector<Bytes> corpus;
  std::string suffix;
  std::string current;  // each input is written here before it runs (to find a hang)
  auto wanted = [&](const std::filesystem::path& p) {
    const std::string n = p.filename().string();
    return suffix.empty() || (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--max-len" && i + 1 < argc) {
      maxLen = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--save-current" && i + 1 < argc) {
      current = argv[++i];
    } else if (a == "--suffix" && i + 1 < argc) {
      suffix = argv[++i];
    } else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(a)) {
        if (e.is_regular_file() && wanted(e.path())) corpus.push_back(readFile(e.path()));
      }
    } else if (std::filesystem::is_regular_file(a)) {
      corpus.push_back(readFile(a));
    } else {
      std::fprintf(stderr, "fuzz driver: '%s' is neither a corpus folder nor a file\n", a.c_str());
      return 2;
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "fuzz driver: no corpus (give a folder of seed inputs)\n");
    return 2;
  }
  uint64_t execs = 0;
  auto save = [&](const Bytes& b) {
    if (current.empty()) return;
    std::ofstream(current, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()),
                                                                     static_cast<std::streamsize>(b.size()));
  };
  for (const Bytes& b : corpus) {
    save(b);
    LLVMFuzzerTestOneInput(b.data(), b.size());
    ++execs;
  }
  std::mt19937_64 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  Bytes input;
  for (uint64_t run = 0; run < runs && std::chrono::steady_clock::now() < end; ++run) {
    input = corpus[rng() % corpus.size()];
    mutate(input, corpus, rng, maxLen);
    save(input);
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ++execs;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz driver: %llu execs (%zu seeds) in %.1f s, %.0f/s, seed %llu: no crash\n",
              static_cast<unsigned long long>(execs), corpus.size(), took, took > 0 ? execs / took : 0.0,
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  return 0;
}
