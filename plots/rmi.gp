# Figure 4: RMI calls per fault by command, stacked, one bar per realm
# configuration (pattern, page, policy, ABI); one panel per page size.
# Extra variables: pages, ncmds. Data: rmi_<page>.dat: config, one column
# per RMI command (calls / faults of the run phase), total, total_label
# ('-' columns and "not recorded" for a run whose RMI calls nobody saw:
# no bar is drawn for it, and it is never shown as 0).
load plotsdir.'/common.gp'
np = words(pages)
set datafile columnheaders
set multiplot layout 1, np title figtitle font ',13' margins 0.06, 0.78, 0.22, 0.90 spacing 0.07
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb '#333333'
set boxwidth 0.7
set xtics rotate by -30 left
set ylabel 'RMI calls per fault'
set yrange [0:*]
set datafile missing '-'
set offsets 0, 0, graph 0.10, 0
set bmargin 9
do for [i=1:np] {
    p = word(pages, i)
    f = datadir.'/rmi_'.p.'.dat'
    set title p.' host pages'
    if (i == np) {
        set key at screen 0.80, 0.88 top left vertical Left reverse samplen 1.5
    } else {
        unset key
    }
    if (i > 1) { unset label 999 }
    plot for [c=2:ncmds+1] f using c:xtic(1) title columnheader(c) lc (c - 1), \
         f using 0:(valid(ncmds + 2) ? column(ncmds + 2) : 0):(stringcolumn(ncmds + 3)) \
             with labels offset 0, 1 font ',9' notitle
}
unset multiplot
set output
