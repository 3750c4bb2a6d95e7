// FastCGI records from a hostile application: parse_record() never reads past its input,
// reports a complete record only with its content inside it, and every shorter prefix of a
// complete record is need_more. The name-value decoder holds to the same bounds.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto/fastcgi_record.hpp"

namespace {

using namespace bulkhead::proto;
using namespace bulkhead::proto::fastcgi;

void require(bool condition) {
    if (!condition)
        std::abort();
}

void check_pairs(std::span<const std::byte> content) {
    while (!content.empty()) {
        NameValue pair;
        NameValueOutcome outcome = parse_name_value(content, pair);
        if (outcome.status != ParseStatus::complete)
            return;
        require(outcome.consumed > 0 && outcome.consumed <= content.size());
        require(pair.name.size() + pair.value.size() < outcome.consumed);
        content = content.subspan(outcome.consumed);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    while (!input.empty()) {
        Record record;
        RecordOutcome outcome = parse_record(input, record);
        if (outcome.status != ParseStatus::complete)
            break;
        require(outcome.consumed >= kHeaderBytes && outcome.consumed <= input.size());
        require(record.content.data() >= input.data() &&
                record.content.data() + record.content.size() <= input.data() + outcome.consumed);
        for (std::size_t cut :
             {std::size_t{0}, std::size_t{1}, kHeaderBytes - 1, outcome.consumed - 1}) {
            if (cut >= outcome.consumed)
                continue;
            Record partial;
            require(parse_record(input.first(cut), partial).status == ParseStatus::need_more);
        }
        if (record.type == RecordType::get_values_result)
            check_pairs(record.content);
        input = input.subspan(outcome.consumed);
    }
    check_pairs(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
    return 0;
}
