// Errors as values at the ipvs module's boundaries.
#pragma once

#include <expected>
#include <string>

namespace vigil::ipvs {

struct Error {
    std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
    return std::unexpected<Error>(Error{std::move(message)});
}

}  // namespace vigil::ipvs
