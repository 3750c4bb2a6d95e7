#include <gtest/gtest.h>

#include "worker/entity_tag.hpp"

namespace bulkhead::worker {
namespace {

constexpr std::string_view kTag = "\"5e-1f-a\"";

struct ListCase {
    const char* name;
    const char* field_value;
    TagComparison comparison;
    bool matches;
};

const ListCase kListCases[] = {
    {"exact strong", "\"5e-1f-a\"", TagComparison::strong, true},
    {"exact weak comparison", "\"5e-1f-a\"", TagComparison::weak, true},
    {"star", "*", TagComparison::strong, true},
    {"star with spaces", "  * ", TagComparison::weak, true},
    {"other tag", "\"5e-1f-b\"", TagComparison::weak, false},
    {"in list", "\"x\", \"5e-1f-a\"", TagComparison::weak, true},
    {"in list no space", "\"x\",\"5e-1f-a\"", TagComparison::strong, true},
    {"weak form, weak comparison", "W/\"5e-1f-a\"", TagComparison::weak, true},
    {"weak form, strong comparison", "W/\"5e-1f-a\"", TagComparison::strong, false},
    {"weak form in list", "\"x\" , W/\"5e-1f-a\"", TagComparison::weak, true},
    {"unquoted", "5e-1f-a", TagComparison::weak, false},
    {"lowercase w", "w/\"5e-1f-a\"", TagComparison::weak, false},
    {"unterminated", "\"5e-1f-a", TagComparison::weak, false},
    {"glued tags", "\"x\"\"5e-1f-a\"", TagComparison::weak, false},
    {"malformed ends list", "\"x\", bad, \"5e-1f-a\"", TagComparison::weak, false},
    {"star in list is not star", "\"x\", *", TagComparison::weak, false},
    {"empty", "", TagComparison::weak, false},
    {"only commas", " , ,", TagComparison::weak, false},
};

TEST(EntityTag, ListMatching) {
    for (const ListCase& c : kListCases) {
        EXPECT_EQ(entity_tag_list_matches(c.field_value, kTag, c.comparison), c.matches) << c.name;
    }
}

TEST(EntityTag, FromStat) {
    struct stat info {};
    info.st_mtim.tv_sec = 0x5e0be100;
    info.st_mtim.tv_nsec = 0x75bcd15;
    info.st_size = 13;
    EXPECT_EQ(make_entity_tag(info), "\"5e0be100-75bcd15-d\"");
}

}  // namespace
}  // namespace bulkhead::worker
