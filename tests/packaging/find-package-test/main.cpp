// The shared consumer program (see ../consumer.cpp).
#include "../consumer.cpp"
