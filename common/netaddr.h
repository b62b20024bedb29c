/* IP addresses as edgeca's settings name them (the EST listener's trusted
 * reverse proxies), and matching a peer's socket address against them. */
#ifndef EDGECA_COMMON_NETADDR_H
#define EDGECA_COMMON_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct net_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
};

/* True when peer (IPv4, IPv6 or IPv4-mapped IPv6) is one of the n
 * addresses of list; false for NULL. */
bool net_addr_list_has(const struct net_addr *list, size_t n, const struct sockaddr *peer);

#endif
