#include "common/netaddr.h"

#include <netinet/in.h>
#include <string.h>

bool
net_addr_list_has(const struct net_addr *list, size_t n, const struct sockaddr *peer)
{
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned char addr[16];
	int family;

	if (peer == NULL)
		return false;
	if (peer->sa_family == AF_INET) {
		family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (peer->sa_family == AF_INET6) {
		const unsigned char *a6 = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		family = memcmp(a6, v4_mapped, 12) == 0 ? AF_INET : AF_INET6;
		memcpy(addr, family == AF_INET ? a6 + 12 : a6, family == AF_INET ? 4 : 16);
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family &&
		    memcmp(list[i].addr, addr, family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}
