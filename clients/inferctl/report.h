// Small formatting helpers shared by inferctl's reports: JSON string
// quoting, nearest-rank percentiles and the summary statistics of a list of
// timings (bench against the daemon, bench --local, run --repeat).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace inferd::inferctl {

// `s` as a JSON string literal, quotes included.
std::string jsonString(const std::string& s);

// Nearest-rank percentile (0 < p <= 100) of sorted values; 0 when empty.
double percentile(const std::vector<double>& sorted, double p);

// count, mean, population standard deviation, min, p5, median, p95, p99 and
// max (nearest rank) of some values; all 0 when there are none.
struct Summary {
  size_t count = 0;
  double mean = 0, std = 0, min = 0, p5 = 0, median = 0, p95 = 0, p99 = 0, max = 0;
};
Summary summarize(std::vector<double> values);

}  // namespace inferd::inferctl
