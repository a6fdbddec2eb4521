// Everything of libmockcloud in one include.
#pragma once

#include "mockcloud/clock.hpp"
#include "mockcloud/error.hpp"
#include "mockcloud/events.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/memory.hpp"
#include "mockcloud/net.hpp"
#include "mockcloud/operation.hpp"
#include "mockcloud/random.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/server_support.hpp"
#include "mockcloud/settings.hpp"
#include "mockcloud/time.hpp"
#include "mockcloud/validate.hpp"
