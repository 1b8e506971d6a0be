# SPDX-License-Identifier: BSD-2-Clause
#
# nginx has no CXXFLAGS: give the module's C++ objects their standard here.

for webhook_src in $ngx_addon_dir/ngx_module/*.cpp $ngx_addon_dir/src/*.cpp
do
    webhook_obj="addon/`basename \`dirname $webhook_src\``"
    webhook_obj="$NGX_OBJS/$webhook_obj/`basename $webhook_src .cpp`.$ngx_objext"

    echo "$webhook_obj: CFLAGS += -std=c++17 -fvisibility=hidden" \
        >> $NGX_MAKEFILE
done
