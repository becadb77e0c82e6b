#include <cstdio>
int main() { std::puts("saphan"); return 0; }
