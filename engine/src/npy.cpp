// .npy reader/writer. The header is a Python dict literal; we accept the
// forms numpy writes ('descr', 'fortran_order', 'shape' in any order).
#include "inferd/engine/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace inferd::engine {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMaxNpyBytes = int64_t{1} << 32;

Status bad(const std::string& label, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, fmt::format("'{}' is not a valid .npy file: {}", label, why));
}

// The value text after 'key': in the header dict, or empty.
std::string dictValue(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) k = header.find("\"" + key + "\"");
  if (k == std::string::npos) return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return "";
  size_t start = header.find_first_not_of(" ", colon + 1);
  if (start == std::string::npos) return "";
  size_t end;
  if (header[start] == '(') {
    end = header.find(')', start);
    return end == std::string::npos ? "" : header.substr(start, end - start + 1);
  }
  if (header[start] == '\'' || header[start] == '"') {
    end = header.find(header[start], start + 1);
    return end == std::string::npos ? "" : header.substr(start + 1, end - start - 1);
  }
  end = header.find_first_of(",}", start);
  return header.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool typeFromDescr(const std::string& descr, ElementType* type) {
  static const std::pair<const char*, ElementType> kMap[] = {
      {"<f4", ElementType::kFloat32}, {"<f2", ElementType::kFloat16}, {"<f8", ElementType::kFloat64},
      {"|i1", ElementType::kInt8},    {"|u1", ElementType::kUInt8},   {"<i2", ElementType::kInt16},
      {"<u2", ElementType::kUInt16},  {"<i4", ElementType::kInt32},   {"<u4", ElementType::kUInt32},
      {"<i8", ElementType::kInt64},   {"<u8", ElementType::kUInt64},  {"|b1", ElementType::kBool},
      {"i1", ElementType::kInt8},     {"u1", ElementType::kUInt8},    {"b1", ElementType::kBool},
      {"|?", ElementType::kBool},     {"<c8", ElementType::kComplex64},
  };
  for (const auto& [d, t] : kMap) {
    if (descr == d) {
      *type = t;
      return true;
    }
  }
  return false;
}

}  // namespace

Result<NpyArray> parseNpy(const uint8_t* bytes, size_t size, const std::string& label) {
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0) return bad(label, "missing the \\x93NUMPY magic");
  const uint8_t major = bytes[6];
  size_t headerLen = 0, offset = 0;
  if (major == 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return bad(label, "truncated header");
    headerLen = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (static_cast<size_t>(bytes[11]) << 24);
    offset = 12;
  } else {
    return bad(label, fmt::format("unsupported format version {}", major));
  }
  if (headerLen > size - offset) return bad(label, "truncated header");
  const std::string header(reinterpret_cast<const char*>(bytes + offset), headerLen);
  NpyArray arr;
  const std::string descr = dictValue(header, "descr");
  if (!typeFromDescr(descr, &arr.type)) {
    return bad(label, fmt::format("unsupported dtype '{}' (big-endian, object and string arrays are not supported)", descr));
  }
  if (dictValue(header, "fortran_order") != "False") return bad(label, "Fortran-order arrays are not supported");
  std::string shape = dictValue(header, "shape");
  if (shape.size() < 2 || shape.front() != '(') return bad(label, "missing shape");
  shape = shape.substr(1, shape.size() - 2);
  size_t pos = 0;
  while (pos < shape.size()) {
    size_t comma = shape.find(',', pos);
    std::string tok = shape.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    tok.erase(0, tok.find_first_not_of(" "));
    tok.erase(tok.find_last_not_of(" L") + 1);
    if (!tok.empty()) {
      char* end = nullptr;
      long long v = std::strtoll(tok.c_str(), &end, 10);
      if (*end != '\0' || v < 0 || v > INT32_MAX) return bad(label, fmt::format("bad dimension '{}'", tok));
      arr.dims.push_back(static_cast<int32_t>(v));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  auto n = checkedNumElements(arr.dims);
  const size_t es = elementSize(arr.type);
  if (!n || *n > kMaxNpyBytes / static_cast<int64_t>(es)) return bad(label, "shape is too large");
  const size_t dataBytes = static_cast<size_t>(*n) * es;
  const size_t dataStart = offset + headerLen;
  if (size - dataStart != dataBytes) {
    return bad(label, fmt::format("shape {} of {} needs {} data bytes, the file has {}", dimsToString(arr.dims),
                                  elementTypeName(arr.type), dataBytes, size - dataStart));
  }
  arr.data.assign(bytes + dataStart, bytes + size);
  return arr;
}

Result<NpyArray> readNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, fmt::format("cannot open '{}'", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parseNpy(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> serializeNpy(ElementType type, const Dims& dims, const void* data, size_t bytes) {
  std::string shape = "(";
  for (size_t i = 0; i < dims.size(); ++i) shape += fmt::format("{}, ", dims[i]);
  if (dims.size() > 1) shape.resize(shape.size() - 2);
  if (dims.size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   elementTypeNumpy(type), shape);
  // Pad so the data starts on a 64-byte boundary, newline-terminated.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
  return out;
}

Status writeNpy(const std::string& path, ElementType type, const Dims& dims, const void* data, size_t bytes) {
  if (elementTypeNumpy(type).empty()) {
    return makeError(StatusCode::kUnsupported, "cannot write a {} tensor to .npy", elementTypeName(type));
  }
  const std::vector<uint8_t> out = serializeNpy(type, dims, data, bytes);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return makeError(StatusCode::kInvalidArgument, "cannot write '{}'", path);
  f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
  if (!f) return makeError(StatusCode::kInvalidArgument, "failed writing '{}'", path);
  return Status::ok();
}

}  // namespace inferd::engine
