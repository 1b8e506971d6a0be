# SPDX-License-Identifier: BSD-2-Clause
#
# nginx has no CXXFLAGS: its Makefile compiles every source, our .cpp files
# included, with the one CFLAGS (nginx's own, --with-cc-opt's, and so on
# Debian dpkg-buildflags').  Here, and only here, the module's C++ objects get
# flags valid for C++: the same CFLAGS in the same order, less the options gcc
# accepts for C/ObjC only, plus the C++ standard and hidden visibility.
#
# Why a filter: Debian 13's dpkg-buildflags CFLAGS carry
# -Werror=implicit-function-declaration, which cc1plus rejects outright
# ("'-Werror=' argument ... is not valid for C++"); the other C-only warnings
# are only warned about, which nginx's -Werror turns into errors as well.
# The list is gcc 14's C-only warnings (those `g++ -Werror=NAME` rejects as
# "not valid for C++"), each in its -W, -Wno- and -Werror= forms (g++ takes
# -Wno-error=NAME silently), plus any -std= (a C standard; -std=c++17
# follows).  C objects keep CFLAGS as it is; where CFLAGS holds none of
# these (Debian 12), the C++ objects get exactly CFLAGS followed by
# -std=c++17 -fvisibility=hidden, as before.
#
# And -flto, with the link's -flto in config: the glue calls the core
# through its C API, and the core's files call each other, a dozen times
# per request; optimised as one program, those calls are inlined where it
# pays (about 200 instructions per request, bench/instructions.sh), and
# the library's own template instantiations stay out of the dynamic
# symbol table.

webhook_c_only_warnings="absolute-value bad-function-cast c++-compat
    c11-c23-compat c90-c99-compat c99-c11-compat
    compare-distinct-pointer-types declaration-after-statement
    declaration-missing-parameter-type designated-init
    discarded-array-qualifiers discarded-qualifiers duplicate-decl-specifier
    enum-int-mismatch implicit implicit-function-declaration implicit-int
    incompatible-pointer-types int-conversion jump-misses-init
    missing-parameter-type missing-prototypes missing-variable-declarations
    nested-externs old-style-declaration old-style-definition override-init
    override-init-side-effects pointer-sign pointer-to-int-cast
    return-mismatch strict-prototypes traditional traditional-conversion
    unsuffixed-float-constants"

webhook_c_only_flags="-std=%"
for webhook_w in $webhook_c_only_warnings
do
    webhook_c_only_flags="$webhook_c_only_flags -W$webhook_w -Wno-$webhook_w -Werror=$webhook_w"
done

cat << END                                                  >> $NGX_MAKEFILE

# ngx_http_webhook_signature_module (config.make): C-only options that the
# C++ objects are compiled without
WEBHOOK_SIGNATURE_C_ONLY_CFLAGS = $webhook_c_only_flags
WEBHOOK_SIGNATURE_CXXFLAGS := \$(filter-out \$(WEBHOOK_SIGNATURE_C_ONLY_CFLAGS),\$(CFLAGS)) -std=c++17 -fvisibility=hidden -flto=auto

END

for webhook_src in $ngx_addon_dir/ngx_module/*.cpp $ngx_addon_dir/src/*.cpp
do
    webhook_obj="addon/`basename \`dirname $webhook_src\``"
    webhook_obj="$NGX_OBJS/$webhook_obj/`basename $webhook_src .cpp`.$ngx_objext"

    echo "$webhook_obj: CFLAGS := \$(WEBHOOK_SIGNATURE_CXXFLAGS)" \
        >> $NGX_MAKEFILE
done
