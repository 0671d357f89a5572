#ifndef TRACKINGPROXY_CZLIB_SHIM_H
#define TRACKINGPROXY_CZLIB_SHIM_H
#include <zlib.h>
#endif
