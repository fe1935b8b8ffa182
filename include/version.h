#ifndef VOLLEY_VERSION_H
#define VOLLEY_VERSION_H
#define VOLLEY_VERSION "0.1.0"
#endif
