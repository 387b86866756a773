#pragma once
// Interface configuration through rtnetlink (libnl-route): link up and MTU, addresses, routes,
// deleting a link. What `ip link/addr/route` would do, without shelling out to `ip`.

#include <cstddef>
#include <string_view>

#include "gquic/core/error.h"
#include "gquic/wireguard/allowed_ips.h"

namespace gquic::wireguard::netlink {

// Sets the MTU (0 leaves it) and brings the link up.
Result<void> set_link_up(std::string_view ifname, std::size_t mtu);
// Adds an address with its prefix length ("10.0.0.1/24": host bits are the address).
// An address that is already present is not an error.
Result<void> add_address(std::string_view ifname, const IpPrefix& address);
// Routes `prefix` into the interface (main table, scope link). An existing identical route is
// not an error.
Result<void> add_route(std::string_view ifname, const IpPrefix& prefix);
// Deletes the link (a TUN interface: its owner sees its reads fail and shuts down).
Result<void> delete_link(std::string_view ifname);
// The interface's index, or not_found.
Result<int> link_index(std::string_view ifname);

}  // namespace gquic::wireguard::netlink
