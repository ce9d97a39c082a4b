// core/error.hpp - the error type of pgstreamx (pure C++, no PostgreSQL headers).
//
// Every error pgstreamx raises on purpose is a pgstreamx::Error: a SQLSTATE, a
// lower-case message, and optionally a detail and a HINT saying what to do.
// The entry-point bridge (pgstreamx/error.hpp) turns it into
// ereport(ERROR, errcode(...), errmsg(...), errdetail(...), errhint(...)).
#pragma once

#include <exception>
#include <string>

namespace pgstreamx {

// A five-character SQLSTATE, e.g. SqlState{"22023"}.
struct SqlState {
    char code[6];

    constexpr explicit SqlState(const char (&c)[6]) : code{c[0], c[1], c[2], c[3], c[4], '\0'} {}
    constexpr bool operator==(const SqlState &o) const {
        return code[0] == o.code[0] && code[1] == o.code[1] && code[2] == o.code[2] &&
               code[3] == o.code[3] && code[4] == o.code[4];
    }
    constexpr bool operator!=(const SqlState &o) const { return !(*this == o); }
};

// The SQLSTATEs pgstreamx uses (see docs/sql-api.md, "Errors").
namespace sqlstate {
inline constexpr SqlState invalid_parameter_value{"22023"};
inline constexpr SqlState string_data_right_truncation{"22001"};
inline constexpr SqlState null_value_not_allowed{"22004"};
inline constexpr SqlState invalid_name{"42602"};
inline constexpr SqlState undefined_object{"42704"};
inline constexpr SqlState duplicate_object{"42710"};
inline constexpr SqlState wrong_object_type{"42809"};
inline constexpr SqlState insufficient_privilege{"42501"};
inline constexpr SqlState undefined_function{"42883"};
inline constexpr SqlState object_not_in_prerequisite_state{"55000"};
inline constexpr SqlState lock_not_available{"55P03"};
inline constexpr SqlState feature_not_supported{"0A000"};
inline constexpr SqlState read_only_sql_transaction{"25006"};
inline constexpr SqlState configuration_limit_exceeded{"53400"};
inline constexpr SqlState program_limit_exceeded{"54000"};
inline constexpr SqlState out_of_memory{"53200"};
inline constexpr SqlState internal_error{"XX000"};
}  // namespace sqlstate

class Error : public std::exception {
public:
    Error(SqlState state, std::string message, std::string detail = {}, std::string hint = {})
        : state_(state), message_(std::move(message)), detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    const char *what() const noexcept override { return message_.c_str(); }
    const SqlState &sqlstate() const noexcept { return state_; }
    const std::string &message() const noexcept { return message_; }
    const std::string &detail() const noexcept { return detail_; }
    const std::string &hint() const noexcept { return hint_; }

private:
    SqlState state_;
    std::string message_;
    std::string detail_;
    std::string hint_;
};

}  // namespace pgstreamx
