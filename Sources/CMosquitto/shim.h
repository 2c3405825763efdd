// Why this file exists: a single import point for libmosquitto's client API;
// wrappers for what Swift cannot import land here with a cmosquitto_ prefix.
#ifndef CMOSQUITTO_SHIM_H
#define CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
