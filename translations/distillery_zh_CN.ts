<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Preset</name>
    <message>
        <source>KD (logits)</source>
        <translation>KD（logits）</translation>
    </message>
    <message>
        <source>FitNets (hint)</source>
        <translation>FitNets（提示层）</translation>
    </message>
    <message>
        <source>Attention transfer</source>
        <translation>注意力迁移</translation>
    </message>
    <message>
        <source>Pixel-wise KD</source>
        <translation>逐像素 KD</translation>
    </message>
    <message>
        <source>Pair-wise KD</source>
        <translation>成对 KD</translation>
    </message>
    <message>
        <source>CWD on logits</source>
        <translation>logits 上的 CWD</translation>
    </message>
    <message>
        <source>CWD on features</source>
        <translation>特征上的 CWD</translation>
    </message>
    <message>
        <source>KD needs class-logit vectors (a classification data set)</source>
        <translation>KD 需要类别 logit 向量（分类数据集）</translation>
    </message>
    <message>
        <source>pixel-wise KD needs dense logits (a segmentation data set)</source>
        <translation>逐像素 KD 需要稠密 logits（分割数据集）</translation>
    </message>
    <message>
        <source>CWD on logits needs dense logits (a segmentation data set)</source>
        <translation>logits 上的 CWD 需要稠密 logits（分割数据集）</translation>
    </message>
    <message>
        <source>the models have no spatial feature taps</source>
        <translation>模型没有空间特征抽头</translation>
    </message>
    <message>
        <source>Decoupled KD (DKD)</source>
        <translation>解耦知识蒸馏（DKD）</translation>
    </message>
    <message>
        <source>DIST (correlation of predictions)</source>
        <translation>DIST（预测相关性）</translation>
    </message>
    <message>
        <source>Similarity-preserving (SP)</source>
        <translation>相似性保持（SP）</translation>
    </message>
    <message>
        <source>Correlation congruence (CC)</source>
        <translation>相关一致性（CC）</translation>
    </message>
    <message>
        <source>Relational KD (RKD)</source>
        <translation>关系知识蒸馏（RKD）</translation>
    </message>
    <message>
        <source>Probabilistic transfer (PKT)</source>
        <translation>概率知识迁移（PKT）</translation>
    </message>
    <message>
        <source>Neural selectivity transfer (NST)</source>
        <translation>神经元选择性迁移（NST）</translation>
    </message>
    <message>
        <source>Variational information (VID)</source>
        <translation>变分信息蒸馏（VID）</translation>
    </message>
    <message>
        <source>Contrastive representation (CRD)</source>
        <translation>对比表示蒸馏（CRD）</translation>
    </message>
    <message>
        <source>%1 needs class-logit vectors (a classification data set)</source>
        <translation>%1 需要类别 logit 向量（分类数据集）</translation>
    </message>
    <message>
        <source>the models have no feature taps</source>
        <translation>模型没有特征抽头</translation>
    </message>
    <message>
        <source>Flow of solution procedure (FSP)</source>
        <translation>解题流程蒸馏（FSP）</translation>
    </message>
    <message>
        <source>Knowledge review (ReviewKD)</source>
        <translation>知识回顾（ReviewKD）</translation>
    </message>
    <message>
        <source>FSP needs two consecutive feature taps with the same channel counts on both models</source>
        <translation>FSP 需要两个模型上通道数相同的两个相邻特征抽头</translation>
    </message>
    <message>
        <source>Activation boundaries (AB)</source>
        <translation>激活边界迁移（AB）</translation>
    </message>
    <message>
        <source>Factor transfer (FT)</source>
        <translation>因子迁移（FT）</translation>
    </message>
    <message>
        <source>CWD on the neck (detection)</source>
        <translation>颈部 CWD（检测）</translation>
    </message>
    <message>
        <source>FGD, focal and global (detection)</source>
        <translation>FGD，焦点与全局（检测）</translation>
    </message>
    <message>
        <source>%1 needs two detectors (a detection data set)</source>
        <translation>%1 需要两个检测器（检测数据集）</translation>
    </message>
</context>
<context>
    <name>Project</name>
    <message>
        <source>%1 already holds a project</source>
        <translation>%1 中已有一个项目</translation>
    </message>
    <message>
        <source>cannot create the folder %1</source>
        <translation>无法创建文件夹 %1</translation>
    </message>
    <message>
        <source>%1 is not a project folder (no recipe.yaml)</source>
        <translation>%1 不是项目文件夹（没有 recipe.yaml）</translation>
    </message>
</context>
<context>
    <name>TapGroup</name>
    <message>
        <source>named taps</source>
        <translation>命名探针</translation>
    </message>
    <message>
        <source>vectors</source>
        <translation>向量</translation>
    </message>
</context>
<context>
    <name>distillery</name>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分</translation>
    </message>
</context>
<context>
    <name>distillery::BackgroundWork</name>
    <message>
        <source>unexpected error</source>
        <translation>意外错误</translation>
    </message>
</context>
<context>
    <name>distillery::BitWidthDelegate</name>
    <message>
        <source>float</source>
        <translation>浮点</translation>
    </message>
</context>
<context>
    <name>distillery::ChannelDistributionView</name>
    <message>
        <source>The first samples of the validation split</source>
        <translation>验证集中的前若干个样本</translation>
    </message>
    <message>
        <source>The first of the %1 channels shown (in the order of the plot)</source>
        <translation>所显示的 %1 个通道中的第一个（按图中顺序）</translation>
    </message>
    <message>
        <source>Sort by KL</source>
        <translation>按 KL 排序</translation>
    </message>
    <message>
        <source>Compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>Samples:</source>
        <translation>样本数：</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>起始：</translation>
    </message>
    <message>
        <source>channel</source>
        <translation>通道</translation>
    </message>
    <message>
        <source>activation (5–25–50–75–95 %)</source>
        <translation>激活值（5–25–50–75–95 %）</translation>
    </message>
    <message>
        <source>KL(p_T ‖ p_S)</source>
        <translation>KL(p_T ‖ p_S)</translation>
    </message>
    <message>
        <source>activation</source>
        <translation>激活值</translation>
    </message>
    <message>
        <source>share of values</source>
        <translation>数值占比</translation>
    </message>
    <message>
        <source>Mean spatial softmax at τ (what CWD compares): teacher, student</source>
        <translation>τ 下的平均空间 softmax（CWD 所比较的）：教师、学生</translation>
    </message>
    <message>
        <source>Pick a channel in the channel inspector and press Distributions, or Compute here.</source>
        <translation>在通道检查器中选择一个通道并点击“分布…”，或在此处点击“计算”。</translation>
    </message>
    <message>
        <source>Computing the distributions of %1 samples…</source>
        <translation>正在计算 %1 个样本的分布…</translation>
    </message>
    <message>
        <source>%1: %2 channels over %3 samples (%4×%5); mean KL at τ = %6: %7 (CWD&apos;s loss τ²·mean KL = %8). Click a box for its channel.</source>
        <translation>%1：%2 个通道，%3 个样本（%4×%5）；τ = %6 时平均 KL：%7（CWD 损失 τ²·平均 KL = %8）。点击箱线查看该通道。</translation>
    </message>
    <message>
        <source>%1: %2 channels of the student over %3 samples (%4×%5). Click a box for its channel.</source>
        <translation>%1：学生的 %2 个通道，%3 个样本（%4×%5）。点击箱线查看该通道。</translation>
    </message>
    <message>
        <source>KL</source>
        <translation>KL</translation>
    </message>
    <message>
        <source>teacher</source>
        <translation>教师</translation>
    </message>
    <message>
        <source>student</source>
        <translation>学生</translation>
    </message>
    <message>
        <source>channel (worst KL first)</source>
        <translation>通道（KL 最差在前）</translation>
    </message>
    <message>
        <source>share of values (%)</source>
        <translation>数值占比（%）</translation>
    </message>
    <message>
        <source>&lt;b&gt;Channel %1&lt;/b&gt;&lt;br&gt;student mean %2, std %3</source>
        <translation>&lt;b&gt;通道 %1&lt;/b&gt;&lt;br&gt;学生均值 %2，标准差 %3</translation>
    </message>
    <message>
        <source>&lt;br&gt;teacher mean %1, std %2&lt;br&gt;KL(p_T‖p_S) at τ = %3: &lt;b&gt;%4&lt;/b&gt;</source>
        <translation>&lt;br&gt;教师均值 %1，标准差 %2&lt;br&gt;τ = %3 时 KL(p_T‖p_S)：&lt;b&gt;%4&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;span style=&quot;color:#b00000&quot;&gt;the student&apos;s channel is constant (dead)&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&quot;color:#b00000&quot;&gt;学生的该通道恒定不变（失活）&lt;/span&gt;</translation>
    </message>
</context>
<context>
    <name>distillery::ChannelInspectorView</name>
    <message>
        <source>teacher</source>
        <translation>教师</translation>
    </message>
    <message>
        <source>student</source>
        <translation>学生</translation>
    </message>
    <message>
        <source>Teacher tap ← student tap (the student as the loss sees it, after its adapter)</source>
        <translation>教师抽头 ← 学生抽头（学生按损失所见显示，即经过适配层之后）</translation>
    </message>
    <message>
        <source>val</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Refresh interval while a job runs (0 = off)</source>
        <translation>任务运行时的刷新间隔（0 = 关闭）</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Taps</source>
        <translation>抽头</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>数据划分</translation>
    </message>
    <message>
        <source>Sample</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>Live every</source>
        <translation>实时刷新间隔</translation>
    </message>
    <message>
        <source>Raw (shared range per channel)</source>
        <translation>原始值（每通道共用范围）</translation>
    </message>
    <message>
        <source>Per-channel min–max</source>
        <translation>按通道最小–最大归一化</translation>
    </message>
    <message>
        <source>CWD spatial softmax at τ</source>
        <translation>温度 τ 下的 CWD 空间 softmax</translation>
    </message>
    <message>
        <source>Temperature of the spatial softmax (display and KL)</source>
        <translation>空间 softmax 的温度（用于显示和 KL）</translation>
    </message>
    <message>
        <source>Tile size</source>
        <translation>图块大小</translation>
    </message>
    <message>
        <source>Sort bars by KL</source>
        <translation>按 KL 排序柱状图</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>τ</source>
        <translation>τ</translation>
    </message>
    <message>
        <source>Tiles</source>
        <translation>图块</translation>
    </message>
    <message>
        <source>No snapshot yet: pick a tap pair and a sample.</source>
        <translation>尚无快照：请选择一对抽头和一个样本。</translation>
    </message>
    <message>
        <source>input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>student − teacher</source>
        <translation>学生 − 教师</translation>
    </message>
    <message>
        <source>KL(p_T ‖ p_S)</source>
        <translation>KL(p_T ‖ p_S)</translation>
    </message>
    <message>
        <source>channel %1</source>
        <translation>通道 %1</translation>
    </message>
    <message>
        <source>
teacher: %1 … %2</source>
        <translation>
教师：%1 … %2</translation>
    </message>
    <message>
        <source>
student: %1 … %2</source>
        <translation>
学生：%1 … %2</translation>
    </message>
    <message>
        <source>
KL(p_T‖p_S) = %1</source>
        <translation>
KL(p_T‖p_S) = %1</translation>
    </message>
    <message>
        <source>%1 ← %2</source>
        <translation>%1 ← %2</translation>
    </message>
    <message>
        <source>The snapshot holds no student feature map.</source>
        <translation>快照中没有学生的特征图。</translation>
    </message>
    <message>
        <source>channel (sorted by KL, worst first)</source>
        <translation>通道（按 KL 排序，最差在前）</translation>
    </message>
    <message>
        <source>channel</source>
        <translation>通道</translation>
    </message>
    <message>
        <source>Click a tile or bar to enlarge it.</source>
        <translation>点击图块或柱条可放大查看。</translation>
    </message>
    <message>
        <source>student, channel %1</source>
        <translation>学生，通道 %1</translation>
    </message>
    <message>
        <source>T %1 … %2 · S %3 … %4</source>
        <translation>教 %1 … %2 · 学 %3 … %4</translation>
    </message>
    <message>
        <source>%1 … %2</source>
        <translation>%1 … %2</translation>
    </message>
    <message>
        <source>teacher, channel %1</source>
        <translation>教师，通道 %1</translation>
    </message>
    <message>
        <source>−%1 … +%1</source>
        <translation>−%1 … +%1</translation>
    </message>
    <message>
        <source>&lt;b&gt;Channel %1&lt;/b&gt;</source>
        <translation>&lt;b&gt;通道 %1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>KL(p_T‖p_S) at τ = %1: &lt;b&gt;%2&lt;/b&gt; (rank %3 of %4, worst first)</source>
        <translation>τ = %1 时 KL(p_T‖p_S)：&lt;b&gt;%2&lt;/b&gt;（%4 个中排第 %3，最差在前）</translation>
    </message>
    <message>
        <source>teacher raw %1 … %2%3</source>
        <translation>教师原始值 %1 … %2%3</translation>
    </message>
    <message>
        <source> (constant)</source>
        <translation>（恒定）</translation>
    </message>
    <message>
        <source>student raw %1 … %2%3</source>
        <translation>学生原始值 %1 … %2%3</translation>
    </message>
    <message>
        <source>Waiting for a snapshot.</source>
        <translation>正在等待快照。</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>%1 sample %2</source>
        <translation>%1 样本 %2</translation>
    </message>
    <message>
        <source>teacher %1 %2</source>
        <translation>教师 %1 %2</translation>
    </message>
    <message>
        <source>student %1 %2</source>
        <translation>学生 %1 %2</translation>
    </message>
    <message>
        <source>CWD here: τ²·mean KL = %1</source>
        <translation>此处 CWD：τ²·平均 KL = %1</translation>
    </message>
    <message>
        <source>channel counts differ: no adapter pairs these taps; KL compares the first %1</source>
        <translation>通道数不同：没有适配层连接这两个抽头；KL 只比较前 %1 个通道</translation>
    </message>
    <message>
        <source>student resized to the teacher&apos;s size for KL</source>
        <translation>为计算 KL，学生已缩放到教师的尺寸</translation>
    </message>
    <message>
        <source>%1 of %2 student channels constant</source>
        <translation>%2 个学生通道中有 %1 个恒定</translation>
    </message>
    <message>
        <source>Distributions…</source>
        <translation>分布…</translation>
    </message>
    <message>
        <source>The selected channel&apos;s activations over many samples, teacher beside student, with every channel&apos;s distribution and KL</source>
        <translation>所选通道在多个样本上的激活，教师与学生并列，并给出每个通道的分布和 KL</translation>
    </message>
    <message>
        <source>FGD mask</source>
        <translation>FGD 掩码</translation>
    </message>
    <message>
        <source>Detection: outline the cells FGD counts as foreground (the sample&apos;s boxes at this map&apos;s size; brighter where objects are smaller, as FGD weighs them)</source>
        <translation>检测：勾出 FGD 视为前景的单元（样本的框缩放到该特征图尺寸；目标越小越亮，与 FGD 的加权一致）</translation>
    </message>
</context>
<context>
    <name>distillery::DataDock</name>
    <message>
        <source>Fashion-MNIST</source>
        <translation>Fashion-MNIST</translation>
    </message>
    <message>
        <source>Fashion-Scenes (segmentation)</source>
        <translation>Fashion-Scenes（分割）</translation>
    </message>
    <message>
        <source>Image folder (classification)</source>
        <translation>图像文件夹（分类）</translation>
    </message>
    <message>
        <source>Image and mask folder (segmentation)</source>
        <translation>图像与掩码文件夹（分割）</translation>
    </message>
    <message>
        <source>CIFAR-10</source>
        <translation>CIFAR-10</translation>
    </message>
    <message>
        <source>CIFAR-100</source>
        <translation>CIFAR-100</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>default location</source>
        <translation>默认位置</translation>
    </message>
    <message>
        <source>split off the training folder</source>
        <translation>从训练文件夹中划分</translation>
    </message>
    <message>
        <source>keep</source>
        <translation>保持原样</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Colour (3 channels)</source>
        <translation>彩色（3 通道）</translation>
    </message>
    <message>
        <source>Grey (1 channel)</source>
        <translation>灰度（1 通道）</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Data &amp;set:</source>
        <translation>数据集(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Folder:</source>
        <translation>文件夹(&amp;F)：</translation>
    </message>
    <message>
        <source>&amp;Validation folder:</source>
        <translation>验证文件夹(&amp;V)：</translation>
    </message>
    <message>
        <source>&amp;Image size:</source>
        <translation>图像大小(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Channels:</source>
        <translation>通道(&amp;C)：</translation>
    </message>
    <message>
        <source>Scene &amp;size:</source>
        <translation>场景大小(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>上一页(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Next</source>
        <translation>下一页(&amp;N)</translation>
    </message>
    <message>
        <source>Change validation folder</source>
        <translation>更改验证文件夹</translation>
    </message>
    <message>
        <source>Change image size</source>
        <translation>更改图像大小</translation>
    </message>
    <message>
        <source>Change image channels</source>
        <translation>更改图像通道</translation>
    </message>
    <message>
        <source>Change scene size</source>
        <translation>更改场景大小</translation>
    </message>
    <message>
        <source>Change data set to %1</source>
        <translation>将数据集改为 %1</translation>
    </message>
    <message>
        <source>Change data folder</source>
        <translation>更改数据文件夹</translation>
    </message>
    <message>
        <source>Validation folder</source>
        <translation>验证文件夹</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Opening the data set…</source>
        <translation>正在打开数据集…</translation>
    </message>
    <message>
        <source>Sample %1: %2</source>
        <translation>样本 %1：%2</translation>
    </message>
    <message>
        <source>segmentation</source>
        <translation>分割</translation>
    </message>
    <message>
        <source>classification</source>
        <translation>分类</translation>
    </message>
    <message>
        <source>%1 · %2 training / %3 validation samples · %4×%5×%6 · %7 classes</source>
        <translation>%1 · %2 个训练样本 / %3 个验证样本 · %4×%5×%6 · %7 个类别</translation>
    </message>
    <message>
        <source>samples %1–%2 of %3</source>
        <translation>第 %1–%2 个样本，共 %3 个</translation>
    </message>
    <message>
        <source>Fashion-Scenes (detection)</source>
        <translation>Fashion-Scenes（检测）</translation>
    </message>
    <message>
        <source>COCO instances JSON (detection)</source>
        <translation>COCO 实例 JSON（检测）</translation>
    </message>
    <message>
        <source>detection</source>
        <translation>检测</translation>
    </message>
</context>
<context>
    <name>distillery::DocumentationViewer</name>
    <message>
        <source>Distillery Documentation</source>
        <translation>Distillery 文档</translation>
    </message>
    <message>
        <source>The documentation is not installed: no README.md was found beside Distillery (share/distillery/doc). Reinstall the package to get it.</source>
        <translation>文档未安装：在 Distillery 旁（share/distillery/doc）找不到 README.md。请重新安装软件包以获取文档。</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>后退</translation>
    </message>
    <message>
        <source>Forward</source>
        <translation>前进</translation>
    </message>
    <message>
        <source>%1 is not part of the installed documentation.</source>
        <translation>%1 不在已安装的文档中。</translation>
    </message>
</context>
<context>
    <name>distillery::EngineBridge</name>
    <message>
        <source>A run is already in progress.</source>
        <translation>已有一个运行正在进行。</translation>
    </message>
</context>
<context>
    <name>distillery::Format</name>
    <message>
        <source>top-1</source>
        <translation>top-1</translation>
    </message>
    <message>
        <source>mIoU</source>
        <translation>mIoU</translation>
    </message>
</context>
<context>
    <name>distillery::GeneratedImagesView</name>
    <message>
        <source>No generated images.</source>
        <translation>没有生成的图像。</translation>
    </message>
    <message>
        <source>asked for: %1
teacher: %2
student: %3</source>
        <translation>请求的类别：%1
教师：%2
学生：%3</translation>
    </message>
    <message>
        <source>Select a data-free run to see the images its student learned from.</source>
        <translation>选择一个无数据蒸馏的运行，查看其学生学习所用的图像。</translation>
    </message>
    <message>
        <source>New images</source>
        <translation>新图像</translation>
    </message>
    <message>
        <source>Draw other latent codes from the same generator</source>
        <translation>从同一生成器抽取其他隐变量</translation>
    </message>
    <message>
        <source>Teacher disagrees only</source>
        <translation>仅教师不同意的</translation>
    </message>
    <message>
        <source>Only the images the teacher sees as another class than the one asked for</source>
        <translation>只显示教师判为其他类别（而非请求类别）的图像</translation>
    </message>
    <message>
        <source>Generating images with the generator of %1…</source>
        <translation>正在用 %1 的生成器生成图像…</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#b00020&apos;&gt;No generated images: %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#b00020&apos;&gt;没有生成的图像：%1&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 generated images&lt;/b&gt; — the student never saw a training image, only these. The teacher sees the class asked for in &lt;b&gt;%2 %&lt;/b&gt; (red frame: another class); the student agrees with the teacher on &lt;b&gt;%3 %&lt;/b&gt;.&lt;br&gt;Batch statistics against the teacher&apos;s training data, in units of its spread (0 = the same): mean &lt;b&gt;%4&lt;/b&gt;, log-variance &lt;b&gt;%5&lt;/b&gt;</source>
        <translation>&lt;b&gt;%1 张生成图像&lt;/b&gt;——学生从未见过训练图像，只见过这些。教师在 &lt;b&gt;%2 %&lt;/b&gt; 的图像上判为请求的类别（红框：其他类别）；学生在 &lt;b&gt;%3 %&lt;/b&gt; 的图像上与教师一致。&lt;br&gt;批统计量与教师训练数据的差距（以其标准差为单位，0 = 相同）：均值 &lt;b&gt;%4&lt;/b&gt;，对数方差 &lt;b&gt;%5&lt;/b&gt;</translation>
    </message>
    <message>
        <source> (untrained generator: %1 and %2; teacher sees the class asked for in %3 %)</source>
        <translation>（未训练的生成器：%1 和 %2；教师判为请求类别的比例 %3 %）</translation>
    </message>
</context>
<context>
    <name>distillery::LossCurvesView</name>
    <message>
        <source>Smoothing</source>
        <translation>平滑</translation>
    </message>
    <message>
        <source>Exponential moving average of the loss curves (raw data stays faint)</source>
        <translation>损失曲线的指数移动平均（原始数据以淡色显示）</translation>
    </message>
    <message>
        <source>Log scale</source>
        <translation>对数坐标</translation>
    </message>
    <message>
        <source>Logarithmic loss axis</source>
        <translation>损失轴使用对数刻度</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应窗口</translation>
    </message>
    <message>
        <source>Show all data and follow new points (or double-click the plot)</source>
        <translation>显示全部数据并跟随新数据点（或双击图表）</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Save as PNG…</source>
        <translation>另存为 PNG…</translation>
    </message>
    <message>
        <source>Save plot</source>
        <translation>保存图表</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Save as CSV…</source>
        <translation>另存为 CSV…</translation>
    </message>
    <message>
        <source>Save curves</source>
        <translation>保存曲线</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Hover over the plot to read values.</source>
        <translation>将鼠标悬停在图表上读取数值。</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>val mIoU (%)</source>
        <translation>验证 mIoU (%)</translation>
    </message>
    <message>
        <source>val top-1 (%)</source>
        <translation>验证 top-1 (%)</translation>
    </message>
    <message>
        <source>val %1</source>
        <translation>验证 %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;step %1&lt;/b&gt;</source>
        <translation>&lt;b&gt;第 %1 步&lt;/b&gt;</translation>
    </message>
    <message>
        <source>%1 (raw %2)</source>
        <translation>%1（原始 %2）</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>The validation metric against finished runs of the same student trained alone on the same data and schedule (dashed)</source>
        <translation>验证指标与同一学生在相同数据和训练计划下单独训练的已完成运行（虚线）的对比</translation>
    </message>
    <message numerus="yes">
        <source>student alone (%n run(s))</source>
        <translation>
            <numerusform>单独训练的学生（%n 次运行）</numerusform>
        </translation>
    </message>
    <message>
        <source>student alone: %1 %2 at the end</source>
        <translation>单独训练的学生：最终 %1 %2</translation>
    </message>
    <message>
        <source>%1 vs the student alone at epoch %2: %3</source>
        <translation>第 %2 轮 %1 与单独训练的学生相比：%3</translation>
    </message>
</context>
<context>
    <name>distillery::LossTermsModel</name>
    <message>
        <source>Cross-entropy with the labels</source>
        <translation>与标签的交叉熵</translation>
    </message>
    <message>
        <source>Hinton KD: match the teacher&apos;s softened class probabilities</source>
        <translation>Hinton KD：匹配教师软化后的类别概率</translation>
    </message>
    <message>
        <source>FitNets hint: regress the teacher&apos;s feature map through a 1×1 conv</source>
        <translation>FitNets 提示：通过 1×1 卷积回归教师的特征图</translation>
    </message>
    <message>
        <source>Attention transfer: match where the feature maps are active</source>
        <translation>注意力迁移：匹配特征图的激活位置</translation>
    </message>
    <message>
        <source>Pixel-wise KD: match class probabilities at every pixel</source>
        <translation>逐像素 KD：在每个像素上匹配类别概率</translation>
    </message>
    <message>
        <source>Pair-wise KD: match the similarities between image regions</source>
        <translation>成对 KD：匹配图像区域之间的相似度</translation>
    </message>
    <message>
        <source>Channel-wise distillation: match where each channel puts its mass</source>
        <translation>通道蒸馏：匹配每个通道的激活分布位置</translation>
    </message>
    <message>
        <source>%1 needs a teacher</source>
        <translation>%1 需要教师模型</translation>
    </message>
    <message>
        <source>the teacher %1 has no tap &apos;%2&apos;</source>
        <translation>教师 %1 没有抽头“%2”</translation>
    </message>
    <message>
        <source>the student %1 has no tap &apos;%2&apos;</source>
        <translation>学生 %1 没有抽头“%2”</translation>
    </message>
    <message>
        <source>kd compares class-logit vectors of equal length</source>
        <translation>kd 比较长度相同的类别 logit 向量</translation>
    </message>
    <message>
        <source>pixel_kd compares dense logits (segmentation) of equal classes</source>
        <translation>pixel_kd 比较类别数相同的稠密 logits（分割）</translation>
    </message>
    <message>
        <source>%1 compares spatial C×H×W feature maps</source>
        <translation>%1 比较空间 C×H×W 特征图</translation>
    </message>
    <message>
        <source>Temperature: higher values soften the distributions being matched</source>
        <translation>温度：数值越大，被匹配的分布越平滑</translation>
    </message>
    <message>
        <source>Multiplier of this term in the total loss</source>
        <translation>该项在总损失中的倍数</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>Teacher tap</source>
        <translation>教师抽头</translation>
    </message>
    <message>
        <source>Student tap</source>
        <translation>学生抽头</translation>
    </message>
    <message>
        <source>Weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>τ</source>
        <translation>τ</translation>
    </message>
    <message>
        <source>Change method to %1</source>
        <translation>将方法改为 %1</translation>
    </message>
    <message>
        <source>Change teacher tap to %1</source>
        <translation>将教师抽头改为 %1</translation>
    </message>
    <message>
        <source>Change student tap to %1</source>
        <translation>将学生抽头改为 %1</translation>
    </message>
    <message>
        <source>Change weight</source>
        <translation>更改权重</translation>
    </message>
    <message>
        <source>Change τ</source>
        <translation>更改 τ</translation>
    </message>
    <message>
        <source>Add loss term</source>
        <translation>添加损失项</translation>
    </message>
    <message>
        <source>Remove loss term</source>
        <translation>删除损失项</translation>
    </message>
    <message>
        <source>Similarity-preserving KD: match how similar the samples of a batch are</source>
        <translation>相似性保持蒸馏：匹配批次内样本之间的相似程度</translation>
    </message>
    <message>
        <source>Correlation congruence: match the kernel correlations between samples</source>
        <translation>相关一致性：匹配样本之间的核相关</translation>
    </message>
    <message>
        <source>Relational KD: match distances and angles between samples</source>
        <translation>关系蒸馏：匹配样本之间的距离与角度</translation>
    </message>
    <message>
        <source>Probabilistic transfer: match each sample&apos;s neighbour distribution</source>
        <translation>概率迁移：匹配每个样本的近邻分布</translation>
    </message>
    <message>
        <source>Neural selectivity transfer: match the channels&apos; spatial patterns (MMD)</source>
        <translation>神经元选择性迁移：匹配各通道的空间模式（MMD）</translation>
    </message>
    <message>
        <source>Decoupled KD: target-class and non-target-class KD, weighted apart</source>
        <translation>解耦蒸馏：目标类与非目标类蒸馏分别加权</translation>
    </message>
    <message>
        <source>DIST: match the correlations of predictions across classes and samples</source>
        <translation>DIST：匹配预测在类别间与样本间的相关性</translation>
    </message>
    <message>
        <source>VID: predict the teacher&apos;s map as a Gaussian with learned variance</source>
        <translation>VID：以学习方差的高斯分布预测教师特征图</translation>
    </message>
    <message>
        <source>CRD: contrast each sample&apos;s embedding with negatives from a memory bank</source>
        <translation>CRD：将每个样本的嵌入与记忆库中的负样本对比</translation>
    </message>
    <message>
        <source>FSP: match the Gram matrices between consecutive taps (the flow from one stage to the next)</source>
        <translation>FSP：匹配相邻抽头之间的 Gram 矩阵（从一个阶段到下一个阶段的流）</translation>
    </message>
    <message>
        <source>ReviewKD: fuse the student&apos;s stages deep-to-shallow and match every teacher stage</source>
        <translation>ReviewKD：由深到浅融合学生的各阶段，并匹配教师的每个阶段</translation>
    </message>
    <message>
        <source>%1 reads these taps in order; choosing the method again fills the usual ones (the recipe&apos;s YAML sets others)</source>
        <translation>%1 按顺序读取这些抽头；重新选择该方法会填入常用抽头（其他抽头请在配方的 YAML 中设置）</translation>
    </message>
    <message>
        <source>AB: teach which neurons fire (pre-activation signs), in a stage before training</source>
        <translation>AB：在训练前的阶段中教会学生哪些神经元被激活（激活前的符号）</translation>
    </message>
    <message>
        <source>FT: match the teacher&apos;s factors, from a paraphraser trained on the teacher first</source>
        <translation>FT：匹配教师的因子，因子来自先在教师上训练的释义器</translation>
    </message>
    <message>
        <source>%1 cannot pair the teacher&apos;s %2 with the student&apos;s %3</source>
        <translation>%1 无法将教师的 %2 与学生的 %3 配对</translation>
    </message>
    <message>
        <source>FGD (detection): match features inside and outside the boxes under the teacher&apos;s attention, and their global relations</source>
        <translation>FGD（检测）：在教师注意力下匹配框内外的特征及其全局关系</translation>
    </message>
    <message>
        <source>IDD (segmentation): match the distances between the classes&apos; feature centres, and where each class lives in the image</source>
        <translation>IDD（分割）：匹配各类别特征中心之间的距离，以及每个类别在图像中的位置</translation>
    </message>
    <message>
        <source>DML: a peer model learns beside the student, each from the labels and the other&apos;s predictions</source>
        <translation>DML：一个同伴模型与学生一同学习，各自从标签和对方的预测中学习</translation>
    </message>
</context>
<context>
    <name>distillery::MainWindow</name>
    <message>
        <source>Loss curves</source>
        <translation>损失曲线</translation>
    </message>
    <message>
        <source>Channel inspector</source>
        <translation>通道检查器</translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>运行记录</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>&amp;New Project…</source>
        <translation>新建项目(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Import Recipe…</source>
        <translation>导入配方(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Export Recipe…</source>
        <translation>导出配方(&amp;E)…</translation>
    </message>
    <message>
        <source>Export Curves as &amp;PNG…</source>
        <translation>将曲线导出为 &amp;PNG…</translation>
    </message>
    <message>
        <source>Export Curves as &amp;CSV…</source>
        <translation>将曲线导出为 &amp;CSV…</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>设置(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Train &amp;Teacher</source>
        <translation>训练教师(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Distill Student</source>
        <translation>蒸馏学生(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>继续(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation>停止(&amp;S)</translation>
    </message>
    <message>
        <source>Run the &amp;Demo</source>
        <translation>运行演示(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Welcome Page</source>
        <translation>欢迎页(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Reset Layout</source>
        <translation>重置布局(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;About Distillery</source>
        <translation>关于 Distillery(&amp;A)</translation>
    </message>
    <message>
        <source>About Distillery</source>
        <translation>关于 Distillery</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Distillery&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;A workbench for knowledge distillation: teach a small network to imitate a large one, and watch how it learns.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Distillery&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;知识蒸馏工作台：让小网络模仿大网络，并观察它如何学习。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Train the teacher model alone on the data set (Ctrl+T)</source>
        <translation>在数据集上单独训练教师模型（Ctrl+T）</translation>
    </message>
    <message>
        <source>Train the student with the recipe&apos;s loss terms (F5)</source>
        <translation>用配方中的损失项训练学生（F5）</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近的项目(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>Import recipe %1</source>
        <translation>导入配方 %1</translation>
    </message>
    <message>
        <source>Import recipe</source>
        <translation>导入配方</translation>
    </message>
    <message>
        <source>Recipes (*.yaml *.yml)</source>
        <translation>配方 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Export recipe</source>
        <translation>导出配方</translation>
    </message>
    <message>
        <source>Exported %1</source>
        <translation>已导出 %1</translation>
    </message>
    <message>
        <source>Export curves as PNG</source>
        <translation>将曲线导出为 PNG</translation>
    </message>
    <message>
        <source>Export curves as CSV</source>
        <translation>将曲线导出为 CSV</translation>
    </message>
    <message>
        <source>Images (*.png)</source>
        <translation>图像 (*.png)</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation>无法写入 %1</translation>
    </message>
    <message>
        <source>This run has no checkpoint yet.</source>
        <translation>此运行还没有检查点。</translation>
    </message>
    <message>
        <source>Untitled</source>
        <translation>未命名</translation>
    </message>
    <message>
        <source>%1[*] — Distillery</source>
        <translation>%1[*] — Distillery</translation>
    </message>
    <message>
        <source>Distillery</source>
        <translation>Distillery</translation>
    </message>
    <message>
        <source>A run is in progress</source>
        <translation>有运行正在进行</translation>
    </message>
    <message>
        <source>Stop the run and quit? It can be continued later.</source>
        <translation>停止运行并退出吗？之后可以继续此运行。</translation>
    </message>
    <message>
        <source>&amp;Continue Stopped Run</source>
        <translation>继续已停止的运行(&amp;C)</translation>
    </message>
    <message>
        <source>Continue the run selected in the Runs table from where it stopped</source>
        <translation>从停止处继续“运行记录”中选中的运行</translation>
    </message>
    <message>
        <source>Quantize the run selected in the Runs table: bit widths, calibration, QAT and ONNX export (F8)</source>
        <translation>量化“运行记录”中选中的运行：位宽、校准、量化感知训练和 ONNX 导出（F8）</translation>
    </message>
    <message>
        <source>Quantize and Export</source>
        <translation>量化与导出</translation>
    </message>
    <message>
        <source>&amp;Quantize and Export</source>
        <translation>量化与导出(&amp;Q)</translation>
    </message>
    <message>
        <source>The run in progress will be stopped; it can be continued later.</source>
        <translation>正在进行的运行将被停止；之后可以继续。</translation>
    </message>
    <message>
        <source>&amp;Documentation</source>
        <translation>文档(&amp;D)</translation>
    </message>
    <message>
        <source>Apply Suggested Weights</source>
        <translation>应用建议权重</translation>
    </message>
    <message numerus="yes">
        <source>Applied %n suggested weight(s) to the recipe; they take effect in the next run.</source>
        <translation>
            <numerusform>已将 %n 个建议权重应用到配方；将在下一次运行中生效。</numerusform>
        </translation>
    </message>
    <message>
        <source>The recipe no longer has the flagged terms; no weight changed.</source>
        <translation>配方中已没有被标记的损失项；未更改任何权重。</translation>
    </message>
    <message>
        <source>Term balance</source>
        <translation>损失项平衡</translation>
    </message>
    <message>
        <source>The distributions are computed from a run&apos;s checkpoint: select a run that has one, or wait for the running one to write its first.</source>
        <translation>分布根据运行的检查点计算：请选择一个已有检查点的运行，或等待正在进行的运行写出第一个检查点。</translation>
    </message>
    <message>
        <source>Channel distributions</source>
        <translation>通道分布</translation>
    </message>
    <message>
        <source>P&amp;rune Model…</source>
        <translation>剪枝模型(&amp;R)…</translation>
    </message>
    <message>
        <source>Prune Model</source>
        <translation>剪枝模型</translation>
    </message>
    <message>
        <source>Select the trained run to prune in the Runs table first.</source>
        <translation>请先在运行表中选择要剪枝的已训练运行。</translation>
    </message>
    <message>
        <source>Pruning %1 …</source>
        <translation>正在剪枝 %1 …</translation>
    </message>
    <message>
        <source>Pruned %1 into %2: parameters %3 → %4 (%5 %), MACs %6 → %7 (%8 %).</source>
        <translation>已将 %1 剪枝为 %2：参数 %3 → %4（%5 %），MAC %6 → %7（%8 %）。</translation>
    </message>
    <message>
        <source>%1: %2 unpruned, %3 as cut, %4 after re-estimating batch-norm statistics.</source>
        <translation>%1：未剪枝 %2，剪枝后 %3，重新估计批归一化统计量后 %4。</translation>
    </message>
    <message>
        <source>Make the pruned model the student, taught by %1?</source>
        <translation>将剪枝后的模型设为学生，由 %1 教授？</translation>
    </message>
    <message>
        <source>Distil the pruned model</source>
        <translation>蒸馏剪枝后的模型</translation>
    </message>
    <message>
        <source>Pruning failed: %1</source>
        <translation>剪枝失败：%1</translation>
    </message>
    <message>
        <source>Suggest &amp;Hint Points</source>
        <translation>建议提示点(&amp;H)</translation>
    </message>
    <message>
        <source>Cluster the teacher&apos;s layers by similarity (CKA, RSA) and distil at the cluster centres</source>
        <translation>按相似度（CKA、RSA）对教师的层聚类，并在聚类中心处蒸馏</translation>
    </message>
    <message>
        <source>Suggest Hint Points</source>
        <translation>建议提示点</translation>
    </message>
    <message>
        <source>Hint points are chosen on the teacher: choose a teacher and its checkpoint in the Models dock first.</source>
        <translation>提示点在教师上选择：请先在模型面板中选择教师及其检查点。</translation>
    </message>
    <message>
        <source>Measuring the teacher&apos;s layers on 256 training samples to choose hint points …</source>
        <translation>正在 256 个训练样本上测量教师的各层以选择提示点 …</translation>
    </message>
    <message>
        <source>Use the suggested hint points</source>
        <translation>使用建议的提示点</translation>
    </message>
    <message>
        <source>Hint points for %1 (teacher → student), the centres of %2 clusters of the teacher&apos;s %3 layers: %4</source>
        <translation>%1 的提示点（教师 → 学生），即教师 %3 个层的 %2 个聚类的中心：%4</translation>
    </message>
    <message>
        <source>Hint selection failed: %1</source>
        <translation>提示点选择失败：%1</translation>
    </message>
    <message>
        <source>Run P&amp;ipeline…</source>
        <translation>运行流水线(&amp;I)…</translation>
    </message>
    <message>
        <source>Run a pipeline</source>
        <translation>运行流水线</translation>
    </message>
    <message>
        <source>Pipelines (*.yaml *.yml)</source>
        <translation>流水线 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>A pipeline is already running.</source>
        <translation>已有一个流水线正在运行。</translation>
    </message>
    <message>
        <source>Open or create a project first: the stages go into its runs folder.</source>
        <translation>请先打开或创建项目：各阶段会写入其运行文件夹。</translation>
    </message>
    <message>
        <source>Running a pipeline needs distillery-cli beside the workbench; it was not found.</source>
        <translation>运行流水线需要工作台旁边的 distillery-cli；未找到它。</translation>
    </message>
    <message>
        <source>The pipeline finished.</source>
        <translation>流水线已完成。</translation>
    </message>
    <message>
        <source>The pipeline stopped (exit %1); Run Pipeline on the same file continues it.</source>
        <translation>流水线已停止（退出码 %1）；对同一文件再次运行流水线即可继续。</translation>
    </message>
    <message>
        <source>Running pipeline %1 (%2 stages) into %3</source>
        <translation>正在运行流水线 %1（%2 个阶段），输出到 %3</translation>
    </message>
    <message>
        <source>Generated images</source>
        <translation>生成的图像</translation>
    </message>
</context>
<context>
    <name>distillery::ModelsDock</name>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>教师</translation>
    </message>
    <message>
        <source>Student</source>
        <translation>学生</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>MobileNetV2 width multiplier: scales every layer&apos;s channels</source>
        <translation>MobileNetV2 宽度系数：按比例缩放每层的通道数</translation>
    </message>
    <message>
        <source>Tap</source>
        <translation>抽头</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>&amp;Architecture:</source>
        <translation>架构(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Head:</source>
        <translation>分割头(&amp;H)：</translation>
    </message>
    <message>
        <source>&amp;Width:</source>
        <translation>宽度(&amp;W)：</translation>
    </message>
    <message>
        <source>trained teacher: a run folder or a .pt file</source>
        <translation>训练好的教师：运行文件夹或 .pt 文件</translation>
    </message>
    <message>
        <source>Run &amp;folder…</source>
        <translation>运行文件夹(&amp;F)…</translation>
    </message>
    <message>
        <source>Load a trained teacher from a run folder (its architecture comes along)</source>
        <translation>从运行文件夹加载训练好的教师（同时采用其架构）</translation>
    </message>
    <message>
        <source>Check&amp;point…</source>
        <translation>检查点(&amp;P)…</translation>
    </message>
    <message>
        <source>Load a teacher checkpoint file (.pt)</source>
        <translation>加载教师检查点文件（.pt）</translation>
    </message>
    <message>
        <source>Change teacher checkpoint</source>
        <translation>更改教师检查点</translation>
    </message>
    <message>
        <source>&amp;Checkpoint:</source>
        <translation>检查点(&amp;C)：</translation>
    </message>
    <message>
        <source>Change segmentation head</source>
        <translation>更改分割头</translation>
    </message>
    <message>
        <source>Change model width</source>
        <translation>更改模型宽度</translation>
    </message>
    <message>
        <source>Change student to %1</source>
        <translation>将学生改为 %1</translation>
    </message>
    <message>
        <source>Remove teacher</source>
        <translation>移除教师</translation>
    </message>
    <message>
        <source>Change teacher to %1</source>
        <translation>将教师改为 %1</translation>
    </message>
    <message>
        <source>%1 does not exist</source>
        <translation>%1 不存在</translation>
    </message>
    <message>
        <source>%1 is not a run folder (no recipe.yaml)</source>
        <translation>%1 不是运行文件夹（没有 recipe.yaml）</translation>
    </message>
    <message>
        <source>Choose the teacher&apos;s architecture first: %1 does not say which it is</source>
        <translation>请先选择教师的架构：%1 中没有说明架构</translation>
    </message>
    <message>
        <source>Load teacher %1</source>
        <translation>加载教师 %1</translation>
    </message>
    <message>
        <source>Teacher run folder</source>
        <translation>教师运行文件夹</translation>
    </message>
    <message>
        <source>Teacher checkpoint</source>
        <translation>教师检查点</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt);;All files (*)</source>
        <translation>检查点 (*.pt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>The student has %1% of the teacher&apos;s parameters and needs %2% of its MACs.</source>
        <translation>学生的参数量是教师的 %1%，计算量（MACs）是教师的 %2%。</translation>
    </message>
    <message>
        <source>No teacher: the student trains alone.</source>
        <translation>没有教师：学生单独训练。</translation>
    </message>
    <message>
        <source>%1 parameters · %2 MACs for %3×%4×%5 input</source>
        <translation>%1 个参数 · %2 次 MAC（输入 %3×%4×%5）</translation>
    </message>
    <message>
        <source>Import ONNX…</source>
        <translation>导入 ONNX…</translation>
    </message>
    <message>
        <source>Use a model exported to ONNX (torch.onnx.export, tf2onnx) as the teacher</source>
        <translation>使用导出为 ONNX 的模型（torch.onnx.export、tf2onnx）作为教师</translation>
    </message>
    <message>
        <source>Use a model exported to ONNX as the student: it trains from the file&apos;s weights</source>
        <translation>使用导出为 ONNX 的模型作为学生：从文件中的权重开始训练</translation>
    </message>
    <message>
        <source>Import teacher %1</source>
        <translation>导入教师 %1</translation>
    </message>
    <message>
        <source>Import student %1</source>
        <translation>导入学生 %1</translation>
    </message>
    <message>
        <source>Import a teacher from ONNX</source>
        <translation>从 ONNX 导入教师</translation>
    </message>
    <message>
        <source>Import a student from ONNX</source>
        <translation>从 ONNX 导入学生</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx);;All files (*)</source>
        <translation>ONNX 模型 (*.onnx);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Cannot import %1</source>
        <translation>无法导入 %1</translation>
    </message>
    <message>
        <source>%1 (ONNX)</source>
        <translation>%1（ONNX）</translation>
    </message>
    <message>
        <source>Imported from %1 · %2 taps</source>
        <translation>导入自 %1 · %2 个探针</translation>
    </message>
    <message numerus="yes">
        <source>%n tap(s)</source>
        <translation>
            <numerusform>%n 个探针</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (checkpoint)</source>
        <translation>%1（检查点）</translation>
    </message>
</context>
<context>
    <name>distillery::PipelineChainView</name>
    <message>
        <source>Compare stages</source>
        <translation>比较各阶段</translation>
    </message>
    <message>
        <source>Select every stage that has run: the loss curves overlay them</source>
        <translation>选中所有已运行的阶段：损失曲线将叠加显示它们</translation>
    </message>
    <message>
        <source>Pipeline &lt;b&gt;%1&lt;/b&gt;:</source>
        <translation>流水线 &lt;b&gt;%1&lt;/b&gt;：</translation>
    </message>
    <message>
        <source>teaches</source>
        <translation>教授</translation>
    </message>
    <message>
        <source>%1 · %2 %3 %</source>
        <translation>%1 · %2 %3 %</translation>
    </message>
    <message>
        <source>%1 · not started</source>
        <translation>%1 · 尚未开始</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1 has not run yet</source>
        <translation>%1 尚未运行</translation>
    </message>
</context>
<context>
    <name>distillery::PredictionsView</name>
    <message>
        <source>No samples to show.</source>
        <translation>没有可显示的样本。</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>S: %1</source>
        <translation>学：%1</translation>
    </message>
    <message>
        <source>T: %1</source>
        <translation>教：%1</translation>
    </message>
    <message>
        <source>image</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>ground truth</source>
        <translation>真实标注</translation>
    </message>
    <message>
        <source>teacher</source>
        <translation>教师</translation>
    </message>
    <message>
        <source>student</source>
        <translation>学生</translation>
    </message>
    <message>
        <source>pixel acc %1 %</source>
        <translation>像素准确率 %1 %</translation>
    </message>
    <message>
        <source>No run evaluated yet.</source>
        <translation>尚未评估任何运行。</translation>
    </message>
    <message>
        <source>predicted (student)</source>
        <translation>预测类别（学生）</translation>
    </message>
    <message>
        <source>true class</source>
        <translation>真实类别</translation>
    </message>
    <message>
        <source>Colour: share of the true class (row). Click a cell to list those samples.</source>
        <translation>颜色：占该真实类别（行）的比例。点击单元格可列出这些样本。</translation>
    </message>
    <message>
        <source>Misclassified only</source>
        <translation>仅显示分错的样本</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>显示全部</translation>
    </message>
    <message>
        <source>true %1 → predicted %2: %3 (%4 % of %1)</source>
        <translation>真实 %1 → 预测 %2：%3 个（占 %1 的 %4 %）</translation>
    </message>
    <message>
        <source>Evaluating %1 (%2 checkpoint)…</source>
        <translation>正在评估 %1（%2 检查点）…</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#b00020&apos;&gt;Evaluation failed: %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#b00020&apos;&gt;评估失败：%1&lt;/span&gt;</translation>
    </message>
    <message>
        <source>class %1</source>
        <translation>类别 %1</translation>
    </message>
    <message>
        <source>%1 %2 %</source>
        <translation>%1 %2 %</translation>
    </message>
    <message>
        <source>true %1 → predicted %2: %3 of the %4 samples shown</source>
        <translation>真实 %1 → 预测 %2：所显示的 %4 个样本中有 %3 个</translation>
    </message>
    <message>
        <source>%1 samples, %2 misclassified</source>
        <translation>%1 个样本，%2 个分错</translation>
    </message>
    <message>
        <source>loss %1</source>
        <translation>损失 %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;top-1 %1 %&lt;/b&gt;</source>
        <translation>&lt;b&gt;top-1 %1 %&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;mIoU %1 %&lt;/b&gt;</source>
        <translation>&lt;b&gt;mIoU %1 %&lt;/b&gt;</translation>
    </message>
    <message>
        <source>pixel accuracy %1 %</source>
        <translation>像素准确率 %1 %</translation>
    </message>
    <message>
        <source>%1 validation samples</source>
        <translation>%1 个验证样本</translation>
    </message>
    <message>
        <source>(absent)</source>
        <translation>（未出现）</translation>
    </message>
    <message>
        <source>IoU&amp;nbsp;%1</source>
        <translation>IoU&amp;nbsp;%1</translation>
    </message>
    <message>
        <source>ignore (255)</source>
        <translation>忽略 (255)</translation>
    </message>
    <message>
        <source>%1 of %2 boxes at IoU ≥ 0.5</source>
        <translation>%2 个框中 %1 个 IoU ≥ 0.5</translation>
    </message>
    <message>
        <source>&lt;b&gt;AP %1&lt;/b&gt;</source>
        <translation>&lt;b&gt;AP %1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>AP50 %1</source>
        <translation>AP50 %1</translation>
    </message>
    <message>
        <source>AP&amp;nbsp;%1</source>
        <translation>AP&amp;nbsp;%1</translation>
    </message>
    <message>
        <source>Dashed: ground truth; solid: detections with score ≥ %1.</source>
        <translation>虚线：真值；实线：得分 ≥ %1 的检测结果。</translation>
    </message>
    <message>
        <source>AP75 %1</source>
        <translation>AP75 %1</translation>
    </message>
    <message>
        <source>AP small %1</source>
        <translation>小目标 AP %1</translation>
    </message>
    <message>
        <source>AP medium %1</source>
        <translation>中目标 AP %1</translation>
    </message>
    <message>
        <source>AP large %1</source>
        <translation>大目标 AP %1</translation>
    </message>
    <message>
        <source>AR@100 %1</source>
        <translation>AR@100 %1</translation>
    </message>
</context>
<context>
    <name>distillery::ProjectSession</name>
    <message>
        <source>Stop the current run before opening another project.</source>
        <translation>请先停止当前运行，再打开其他项目。</translation>
    </message>
    <message>
        <source>Created project %1</source>
        <translation>已创建项目 %1</translation>
    </message>
    <message>
        <source>Opened project %1</source>
        <translation>已打开项目 %1</translation>
    </message>
    <message>
        <source>Save as a new project folder</source>
        <translation>另存为新的项目文件夹</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>Created project %1 for the runs of this recipe</source>
        <translation>已为此配方的运行创建项目 %1</translation>
    </message>
    <message>
        <source>The recipe has changes that are not saved. Save them?</source>
        <translation>配方有未保存的更改。要保存吗？</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>Autosaved</source>
        <translation>已自动保存</translation>
    </message>
    <message>
        <source>Autosave failed: %1</source>
        <translation>自动保存失败：%1</translation>
    </message>
    <message>
        <source>New project folder</source>
        <translation>新项目文件夹</translation>
    </message>
    <message>
        <source>project</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>Open project folder</source>
        <translation>打开项目文件夹</translation>
    </message>
</context>
<context>
    <name>distillery::PruneDialog</name>
    <message>
        <source>Prune Model</source>
        <translation>剪枝模型</translation>
    </message>
    <message>
        <source>Removes whole channels of &lt;b&gt;%1&lt;/b&gt; until it fits the budget: the model becomes smaller and faster, not masked. Channels that are added together (a residual stream) go together. Train the result afterwards, best by distilling it from the unpruned model.</source>
        <translation>移除 &lt;b&gt;%1&lt;/b&gt; 的整个通道，直到满足预算：模型真正变小变快，而不是被屏蔽。相加在一起的通道（残差流）一起移除。之后请训练结果，最好由未剪枝的模型进行蒸馏。</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MAC</translation>
    </message>
    <message>
        <source> % of the model</source>
        <translation> % 的模型</translation>
    </message>
    <message>
        <source>Keep at most</source>
        <translation>最多保留</translation>
    </message>
    <message>
        <source>Batch-norm scale |γ|</source>
        <translation>批归一化缩放 |γ|</translation>
    </message>
    <message>
        <source>Filter L1 norm</source>
        <translation>滤波器 L1 范数</translation>
    </message>
    <message>
        <source>How channels are ranked; channels without a batch norm (imported models) use the L1 norm</source>
        <translation>通道的排序方式；没有批归一化的通道（导入的模型）使用 L1 范数</translation>
    </message>
    <message>
        <source>Rank channels by</source>
        <translation>通道排序依据</translation>
    </message>
    <message>
        <source>The same share of every layer</source>
        <translation>每层相同比例</translation>
    </message>
    <message>
        <source>One ranking over all layers</source>
        <translation>所有层统一排序</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除方式</translation>
    </message>
    <message>
        <source> % of its channels</source>
        <translation> % 的通道</translation>
    </message>
    <message>
        <source>Every layer keeps</source>
        <translation>每层至少保留</translation>
    </message>
    <message>
        <source>Re-estimate batch-norm statistics on the run&apos;s data, and measure the accuracy before and after</source>
        <translation>在运行的数据上重新估计批归一化统计量，并测量前后的精度</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Save the pruned model</source>
        <translation>保存剪枝后的模型</translation>
    </message>
    <message>
        <source>Distillery checkpoints (*.pt)</source>
        <translation>Distillery 检查点 (*.pt)</translation>
    </message>
    <message>
        <source>Save as</source>
        <translation>保存为</translation>
    </message>
    <message>
        <source>Prune</source>
        <translation>剪枝</translation>
    </message>
</context>
<context>
    <name>distillery::QuantComparisonModel</name>
    <message>
        <source>PTQ</source>
        <translation>PTQ</translation>
    </message>
    <message>
        <source>QAT</source>
        <translation>QAT</translation>
    </message>
    <message>
        <source>QAT + KD</source>
        <translation>QAT + KD</translation>
    </message>
    <message>
        <source>QAT, self-taught</source>
        <translation>QAT（自蒸馏）</translation>
    </message>
    <message>
        <source>%1 (mixed)</source>
        <translation>%1（混合精度）</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>教师</translation>
    </message>
    <message>
        <source>All parameters at 32 bit, from the teacher&apos;s summary</source>
        <translation>全部参数按 32 位计算，取自教师的运行摘要</translation>
    </message>
    <message>
        <source>fp32 student</source>
        <translation>fp32 学生</translation>
    </message>
    <message>
        <source>, observer %1</source>
        <translation>，观察器 %1</translation>
    </message>
    <message>
        <source>Simulated in the engine; the fp32 source had %1</source>
        <translation>在引擎中模拟量化；fp32 源模型为 %1</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Bits</source>
        <translation>位宽</translation>
    </message>
    <message>
        <source>%1 (%)</source>
        <translation>%1（%）</translation>
    </message>
    <message>
        <source>LibTorch int8 (%)</source>
        <translation>LibTorch int8（%）</translation>
    </message>
    <message>
        <source>Agreement (%)</source>
        <translation>一致率（%）</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>× smaller</source>
        <translation>缩小倍数</translation>
    </message>
    <message>
        <source>BOPs</source>
        <translation>BOPs</translation>
    </message>
    <message>
        <source>fp32 (ms)</source>
        <translation>fp32（ms）</translation>
    </message>
    <message>
        <source>int8 (ms)</source>
        <translation>int8（ms）</translation>
    </message>
    <message>
        <source>Weight and activation widths (W/A) of the conv and linear layers</source>
        <translation>卷积层和全连接层的权重与激活位宽（W/A）</translation>
    </message>
    <message>
        <source>Validation metric; for quantized runs of the fake-quantized model in the engine</source>
        <translation>验证指标；量化运行为引擎中伪量化模型的指标</translation>
    </message>
    <message>
        <source>The same quantized model run with LibTorch&apos;s int8 kernels</source>
        <translation>同一量化模型用 LibTorch int8 内核运行的结果</translation>
    </message>
    <message>
        <source>Share of validation predictions where LibTorch int8 and the simulated model agree</source>
        <translation>LibTorch int8 与模拟量化模型预测一致的验证样本比例</translation>
    </message>
    <message>
        <source>Conv and linear weights at their widths (1 KB = 1000 bytes)</source>
        <translation>卷积层和全连接层权重按各自位宽计算（1 KB = 1000 字节）</translation>
    </message>
    <message>
        <source>The fp32 student&apos;s size over this one&apos;s</source>
        <translation>fp32 学生的大小与此模型大小之比</translation>
    </message>
    <message>
        <source>Bit operations: Σ MACs × weight bits × activation bits</source>
        <translation>位运算量：Σ MACs × 权重位宽 × 激活位宽</translation>
    </message>
    <message>
        <source>Time per batch of 64 in fp32 (BatchNorm folded)</source>
        <translation>fp32 下每批 64 个样本的耗时（已折叠 BatchNorm）</translation>
    </message>
    <message>
        <source>Time per batch of 64 with LibTorch&apos;s int8 kernels</source>
        <translation>LibTorch int8 内核下每批 64 个样本的耗时</translation>
    </message>
    <message>
        <source>Once-%1</source>
        <translation>一次性%1</translation>
    </message>
    <message>
        <source>%1 · %2 bit</source>
        <translation>%1 · %2 位</translation>
    </message>
    <message>
        <source>%1; one model for %2 bits, this row its %3-bit weights</source>
        <translation>%1；一个模型涵盖 %2 位，本行为其 %3 位权重</translation>
    </message>
</context>
<context>
    <name>distillery::QuantLayersModel</name>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>算子</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>Weight bits</source>
        <translation>权重位宽</translation>
    </message>
    <message>
        <source>Act. bits</source>
        <translation>激活位宽</translation>
    </message>
    <message>
        <source>BOPs</source>
        <translation>BOPs</translation>
    </message>
    <message>
        <source>Sens. 6 b</source>
        <translation>敏感度 6 位</translation>
    </message>
    <message>
        <source>Sens. 4 b</source>
        <translation>敏感度 4 位</translation>
    </message>
    <message>
        <source>Sens. 2 b</source>
        <translation>敏感度 2 位</translation>
    </message>
    <message>
        <source>Weights and bias after BatchNorm folding</source>
        <translation>折叠 BatchNorm 之后的权重和偏置</translation>
    </message>
    <message>
        <source>Multiply-accumulates for one input</source>
        <translation>单个输入的乘加次数</translation>
    </message>
    <message>
        <source>Width of this layer&apos;s weights (per output channel, symmetric); click to change</source>
        <translation>此层权重的位宽（按输出通道、对称量化）；单击可修改</translation>
    </message>
    <message>
        <source>Width of the layer&apos;s input activations</source>
        <translation>此层输入激活的位宽</translation>
    </message>
    <message>
        <source>Bit operations of this layer: MACs × weight bits × activation bits (32 × 32 in float)</source>
        <translation>此层的位运算量：MACs × 权重位宽 × 激活位宽（浮点为 32 × 32）</translation>
    </message>
    <message>
        <source>Increase of the KL divergence between the fp32 and the quantized outputs when only this layer has %1-bit weights (nats per sample)</source>
        <translation>只有此层使用 %1 位权重时，fp32 输出与量化输出之间 KL 散度的增量（每样本，单位 nat）</translation>
    </message>
    <message>
        <source>float</source>
        <translation>浮点</translation>
    </message>
</context>
<context>
    <name>distillery::QuantizePage</name>
    <message>
        <source>float</source>
        <translation>浮点</translation>
    </message>
    <message>
        <source>%1 %2 vs %3: max |Δ| %4, agreement %5 %</source>
        <translation>%1 %2 对比 %3：最大 |Δ| %4，一致率 %5 %</translation>
    </message>
    <message numerus="yes">
        <source>Verified on %n sample(s): </source>
        <translation>
            <numerusform>在 %n 个样本上验证：</numerusform>
        </translation>
    </message>
    <message>
        <source>Every target met.</source>
        <translation>所有目标均已达到。</translation>
    </message>
    <message>
        <source>Targets missed: %1.</source>
        <translation>未达到的目标：%1。</translation>
    </message>
    <message>
        <source>&amp;Source (fp32 run):</source>
        <translation>源运行（fp32）(&amp;S)：</translation>
    </message>
    <message>
        <source>A trained student (or teacher) run of the project, in float</source>
        <translation>项目中一个训练好的浮点学生（或教师）运行</translation>
    </message>
    <message>
        <source>Run &amp;folder…</source>
        <translation>运行文件夹(&amp;F)…</translation>
    </message>
    <message>
        <source>Quantize a trained run from another folder</source>
        <translation>量化其他文件夹中训练好的运行</translation>
    </message>
    <message>
        <source>Trained run folder</source>
        <translation>训练好的运行文件夹</translation>
    </message>
    <message>
        <source>Choose a trained fp32 run as the source.</source>
        <translation>请选择一个训练好的 fp32 运行作为源。</translation>
    </message>
    <message>
        <source>Bit widths</source>
        <translation>位宽</translation>
    </message>
    <message>
        <source>%1 bit</source>
        <translation>%1 位</translation>
    </message>
    <message>
        <source>All &amp;weights:</source>
        <translation>全部权重(&amp;W)：</translation>
    </message>
    <message>
        <source>Activations: 8 bit per tensor; weights per output channel</source>
        <translation>激活：按张量 8 位；权重：按输出通道</translation>
    </message>
    <message>
        <source>Mixed-precision budget</source>
        <translation>混合精度预算</translation>
    </message>
    <message>
        <source>Model size</source>
        <translation>模型大小</translation>
    </message>
    <message>
        <source>Bit operations (BOPs)</source>
        <translation>位运算量（BOPs）</translation>
    </message>
    <message>
        <source>From every weight at 2 bit (left) to every weight at 8 bit (right)</source>
        <translation>从全部权重 2 位（左）到全部权重 8 位（右）</translation>
    </message>
    <message>
        <source>size=40KB or bops=800M</source>
        <translation>size=40KB 或 bops=800M</translation>
    </message>
    <message>
        <source>The budget as the recipe&apos;s quantize.budget writes it; Enter applies it</source>
        <translation>与配方中 quantize.budget 相同写法的预算；按回车应用</translation>
    </message>
    <message>
        <source>&amp;Measure sensitivity</source>
        <translation>测量敏感度(&amp;M)</translation>
    </message>
    <message>
        <source>For each layer alone at 6, 4 and 2 bit: how far the outputs move (calibration batches of the train split)</source>
        <translation>逐层单独使用 6、4、2 位时输出的偏移程度（使用训练集的校准批次）</translation>
    </message>
    <message>
        <source>Fit to &amp;budget</source>
        <translation>按预算分配(&amp;B)</translation>
    </message>
    <message>
        <source>Choose the widths that fit the budget and lose least, from the measured sensitivity</source>
        <translation>根据测得的敏感度，选择满足预算且损失最小的位宽</translation>
    </message>
    <message>
        <source>&amp;Kind:</source>
        <translation>类型(&amp;K)：</translation>
    </message>
    <message>
        <source>B&amp;udget:</source>
        <translation>预算(&amp;U)：</translation>
    </message>
    <message>
        <source>&amp;As text:</source>
        <translation>文本形式(&amp;A)：</translation>
    </message>
    <message>
        <source>Post-training quantization</source>
        <translation>训练后量化</translation>
    </message>
    <message>
        <source>How activation ranges are taken from the calibration batches: min–max, a percentile of the values, or the range with the least squared error</source>
        <translation>如何从校准批次得到激活范围：最小–最大值、数值的百分位，或平方误差最小的范围</translation>
    </message>
    <message>
        <source>Train batches used to calibrate activation ranges and measure sensitivity</source>
        <translation>用于校准激活范围和测量敏感度的训练批次数</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Evaluate on the first N validation samples (all: the whole split)</source>
        <translation>在前 N 个验证样本上评估（全部：整个验证集）</translation>
    </message>
    <message>
        <source>Also run LibTorch&apos;s int8 kernels (accuracy, agreement, latency)</source>
        <translation>同时运行 LibTorch 的 int8 内核（精度、一致率、延迟）</translation>
    </message>
    <message>
        <source>&amp;Calibrate (PTQ)</source>
        <translation>校准（PTQ）(&amp;C)</translation>
    </message>
    <message>
        <source>Quantize the source with the table&apos;s widths into a new run folder</source>
        <translation>按表中的位宽量化源模型，写入新的运行文件夹</translation>
    </message>
    <message>
        <source>&amp;Observer:</source>
        <translation>观察器(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Percentile:</source>
        <translation>百分位(&amp;P)：</translation>
    </message>
    <message>
        <source>Calibration &amp;batches:</source>
        <translation>校准批次数(&amp;B)：</translation>
    </message>
    <message>
        <source>&amp;Validation samples:</source>
        <translation>验证样本数(&amp;V)：</translation>
    </message>
    <message>
        <source>Quantization-aware training</source>
        <translation>量化感知训练</translation>
    </message>
    <message>
        <source>the recipe&apos;s teacher</source>
        <translation>配方中的教师</translation>
    </message>
    <message>
        <source>itself in fp32 (self-distillation)</source>
        <translation>自身的 fp32 副本（自蒸馏）</translation>
    </message>
    <message>
        <source>none (labels only)</source>
        <translation>无（仅用标签）</translation>
    </message>
    <message>
        <source>Learn the step sizes (LSQ)</source>
        <translation>学习量化步长（LSQ）</translation>
    </message>
    <message>
        <source>Start &amp;QAT</source>
        <translation>开始 QAT(&amp;Q)</translation>
    </message>
    <message>
        <source>Fine-tune the quantized student as a run: curves in Loss curves, Pause and Stop in the Run menu</source>
        <translation>将量化后的学生作为一次运行进行微调：曲线见“损失曲线”，暂停和停止在“运行”菜单中</translation>
    </message>
    <message>
        <source>&amp;Teacher:</source>
        <translation>教师(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Epochs:</source>
        <translation>轮数(&amp;E)：</translation>
    </message>
    <message>
        <source>&amp;Learning rate:</source>
        <translation>学习率(&amp;L)：</translation>
    </message>
    <message>
        <source>Comparison</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>Export ONNX (&amp;fp32)…</source>
        <translation>导出 ONNX（fp32）(&amp;F)…</translation>
    </message>
    <message>
        <source>The selected row&apos;s model in float, BatchNorm folded (opset 13)</source>
        <translation>选中行的浮点模型，已折叠 BatchNorm（opset 13）</translation>
    </message>
    <message>
        <source>Export ONNX &amp;int8…</source>
        <translation>导出 ONNX int8(&amp;I)…</translation>
    </message>
    <message>
        <source>The selected quantized run as QDQ int8 (opset 13)</source>
        <translation>选中的量化运行，导出为 QDQ int8（opset 13）</translation>
    </message>
    <message>
        <source>&amp;Verify in onnxruntime / OpenCV</source>
        <translation>在 onnxruntime / OpenCV 中验证(&amp;V)</translation>
    </message>
    <message>
        <source>Run the exported file in onnxruntime and OpenCV&apos;s DNN module on validation samples and compare with the engine</source>
        <translation>在验证样本上用 onnxruntime 和 OpenCV 的 DNN 模块运行导出的文件，并与引擎的结果比较</translation>
    </message>
    <message>
        <source>choose a trained run</source>
        <translation>请选择训练好的运行</translation>
    </message>
    <message>
        <source>no trained run in this project</source>
        <translation>此项目中没有训练好的运行</translation>
    </message>
    <message>
        <source>%1 is not a run folder</source>
        <translation>%1 不是运行文件夹</translation>
    </message>
    <message>
        <source>%1 is not a run folder (no recipe.yaml)</source>
        <translation>%1 不是运行文件夹（没有 recipe.yaml）</translation>
    </message>
    <message>
        <source>%1 is already quantized: choose the fp32 student run it came from</source>
        <translation>%1 已经量化过：请选择它所来自的 fp32 学生运行</translation>
    </message>
    <message>
        <source>%1 is already quantized: choose the fp32 student run it came from (%2)</source>
        <translation>%1 已经量化过：请选择它所来自的 fp32 学生运行（%2）</translation>
    </message>
    <message>
        <source>%1 has no checkpoint yet: train it first</source>
        <translation>%1 还没有检查点：请先训练它</translation>
    </message>
    <message>
        <source>Reading the layers of %1…</source>
        <translation>正在读取 %1 的各层…</translation>
    </message>
    <message>
        <source>%1 bit is not a weight width (8, 6, 4, 2 or 0 for float)</source>
        <translation>%1 位不是可用的权重位宽（8、6、4、2，或 0 表示浮点）</translation>
    </message>
    <message>
        <source>Unknown layer %1: no source run is loaded</source>
        <translation>未知的层 %1：尚未加载源运行</translation>
    </message>
    <message>
        <source>Unknown layer %1 (layers: %2)</source>
        <translation>未知的层 %1（可用的层：%2）</translation>
    </message>
    <message>
        <source>No layers: choose a trained run.</source>
        <translation>没有层：请选择训练好的运行。</translation>
    </message>
    <message>
        <source>Size %1 of %2 in fp32 (%3× smaller) · BOPs %4 of %5 in fp32 (%6× fewer)</source>
        <translation>大小 %1，fp32 为 %2（缩小 %3×）· BOPs %4，fp32 为 %5（减少 %6×）</translation>
    </message>
    <message>
        <source>Bad budget: %1</source>
        <translation>预算有误：%1</translation>
    </message>
    <message>
        <source>Load a source run to set a budget.</source>
        <translation>加载源运行后才能设置预算。</translation>
    </message>
    <message>
        <source>the table fits (%1)</source>
        <translation>当前表格满足预算（%1）</translation>
    </message>
    <message>
        <source>&lt;span style=&quot;color:#b3261e&quot;&gt;the table needs %1&lt;/span&gt;</source>
        <translation>&lt;span style=&quot;color:#b3261e&quot;&gt;当前表格需要 %1&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; — %2&lt;br&gt;&lt;small&gt;all 2-bit %3 · all 8-bit %4&lt;/small&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; — %2&lt;br&gt;&lt;small&gt;全部 2 位 %3 · 全部 8 位 %4&lt;/small&gt;</translation>
    </message>
    <message>
        <source>Choose a trained source run first.</source>
        <translation>请先选择一个训练好的源运行。</translation>
    </message>
    <message>
        <source>Measure sensitivity first: fitting lowers the widths of the layers that lose least.</source>
        <translation>请先测量敏感度：按预算分配会降低损失最小的那些层的位宽。</translation>
    </message>
    <message>
        <source>Cannot fit the budget: %1</source>
        <translation>无法满足预算：%1</translation>
    </message>
    <message>
        <source>Fitted to %1: the table now needs %2 (%3)</source>
        <translation>已按 %1 分配：当前表格需要 %2（%3）</translation>
    </message>
    <message>
        <source>Busy: wait until the current step finishes.</source>
        <translation>正忙：请等待当前步骤完成。</translation>
    </message>
    <message>
        <source>Cannot read the layers of %1: %2</source>
        <translation>无法读取 %1 的各层：%2</translation>
    </message>
    <message numerus="yes">
        <source>%n layer(s)</source>
        <translation>
            <numerusform>%n 层</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1: %n quantizable layer(s). Edit the widths, or measure sensitivity and fit a budget.</source>
        <translation>
            <numerusform>%1：%n 个可量化的层。可以编辑位宽，或测量敏感度后按预算分配。</numerusform>
        </translation>
    </message>
    <message>
        <source>Measuring sensitivity failed: %1</source>
        <translation>测量敏感度失败：%1</translation>
    </message>
    <message numerus="yes">
        <source>Sensitivity measured for %n layer(s); Fit to budget can use it now.</source>
        <translation>
            <numerusform>已测量 %n 个层的敏感度；现在可以按预算分配。</numerusform>
        </translation>
    </message>
    <message>
        <source>Calibration failed: %1</source>
        <translation>校准失败：%1</translation>
    </message>
    <message>
        <source>%1: %2 %3 % simulated (fp32 %4 %)</source>
        <translation>%1：模拟量化 %2 %3 %（fp32 %4 %）</translation>
    </message>
    <message>
        <source>, LibTorch int8 %1 %</source>
        <translation>，LibTorch int8 %1 %</translation>
    </message>
    <message>
        <source>; %1, %2× smaller</source>
        <translation>；%1，缩小 %2×</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
    <message>
        <source>Wrote %1 and its card %2</source>
        <translation>已写入 %1 及其模型卡 %2</translation>
    </message>
    <message>
        <source>Wrote %1 and its card %2. %3</source>
        <translation>已写入 %1 及其模型卡 %2。%3</translation>
    </message>
    <message>
        <source>Cannot start QAT: %1</source>
        <translation>无法开始 QAT：%1</translation>
    </message>
    <message>
        <source>QAT needs the workbench window to run it.</source>
        <translation>QAT 需要在工作台主窗口中运行。</translation>
    </message>
    <message>
        <source>QAT of %1 started (%2): follow it in Loss curves; its row appears here when it finishes.</source>
        <translation>%1 的 QAT 已开始（%2）：可在“损失曲线”中查看；完成后其结果会出现在这里。</translation>
    </message>
    <message numerus="yes">
        <source>Measuring sensitivity on %n calibration batch(es)…</source>
        <translation>
            <numerusform>正在 %n 个校准批次上测量敏感度…</numerusform>
        </translation>
    </message>
    <message>
        <source>Open or create a project first: the quantized run is written to its runs folder.</source>
        <translation>请先打开或新建项目：量化后的运行会写入项目的 runs 文件夹。</translation>
    </message>
    <message numerus="yes">
        <source>Calibrating %1 (%2, %n batch(es))…</source>
        <translation>
            <numerusform>正在校准 %1（%2，%n 个批次）…</numerusform>
        </translation>
    </message>
    <message>
        <source>A run is already in progress; QAT can start when it ends.</source>
        <translation>已有运行在进行；结束后才能开始 QAT。</translation>
    </message>
    <message>
        <source>%1 was trained without a teacher: choose itself (self-distillation) or none as the QAT teacher.</source>
        <translation>%1 训练时没有教师：请选择“自身”（自蒸馏）或“无”作为 QAT 的教师。</translation>
    </message>
    <message>
        <source>Preparing QAT of %1…</source>
        <translation>正在准备 %1 的 QAT…</translation>
    </message>
    <message>
        <source>Select a row of the comparison to export.</source>
        <translation>请在对比表中选择要导出的一行。</translation>
    </message>
    <message>
        <source>This row has no run folder to export.</source>
        <translation>此行没有可导出的运行文件夹。</translation>
    </message>
    <message>
        <source>%1 is not quantized: calibrate it (PTQ) or train it with QAT, then export that run as int8.</source>
        <translation>%1 未经量化：请先校准（PTQ）或用 QAT 训练，再将得到的运行导出为 int8。</translation>
    </message>
    <message>
        <source>Export ONNX int8</source>
        <translation>导出 ONNX int8</translation>
    </message>
    <message>
        <source>Export ONNX (fp32)</source>
        <translation>导出 ONNX（fp32）</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx)</source>
        <translation>ONNX 模型 (*.onnx)</translation>
    </message>
    <message>
        <source>Unknown export format %1 (onnx or onnx-int8)</source>
        <translation>未知的导出格式 %1（onnx 或 onnx-int8）</translation>
    </message>
    <message>
        <source>Choose a file to export to.</source>
        <translation>请选择要导出到的文件。</translation>
    </message>
    <message>
        <source>Exporting %1…</source>
        <translation>正在导出 %1…</translation>
    </message>
    <message>
        <source>1 % of the run&apos;s</source>
        <translation>运行学习率的 1 %</translation>
    </message>
    <message>
        <source>0 takes 1 % of the source run&apos;s learning rate: a BatchNorm-folded network diverges at its training rate</source>
        <translation>0 表示取源运行学习率的 1 %：折叠 BatchNorm 后的网络用原训练学习率会发散</translation>
    </message>
    <message>
        <source>1 % of the run&apos;s (%1)</source>
        <translation>运行学习率的 1 %（%1）</translation>
    </message>
    <message>
        <source>QAT %1 stopped; Run &gt; Continue Stopped Run continues it.</source>
        <translation>QAT %1 已停止；可用“运行 &gt; 继续已停止的运行”继续。</translation>
    </message>
    <message>
        <source>QAT %1 did not finish (%2); the log says why.</source>
        <translation>QAT %1 未完成（%2）；原因见日志。</translation>
    </message>
    <message>
        <source>QAT %1 finished: %2 %3 % simulated, LibTorch int8 %4 % (fp32 %5 %)</source>
        <translation>QAT %1 已完成：模拟量化 %2 %3 %，LibTorch int8 %4 %（fp32 %5 %）</translation>
    </message>
    <message>
        <source>one model at the table&apos;s widths</source>
        <translation>一个模型，按表中位宽</translation>
    </message>
    <message>
        <source>one model for 8, 6, 4 and 2 bits (once-QAT)</source>
        <translation>一个模型涵盖 8、6、4、2 位（一次性 QAT）</translation>
    </message>
    <message>
        <source>one model for 8, 4 and 2 bits (once-QAT)</source>
        <translation>一个模型涵盖 8、4、2 位（一次性 QAT）</translation>
    </message>
    <message>
        <source>Once-QAT trains a single set of weights whose lower widths are the top width&apos;s codes taken down by rounding right shifts; every width is evaluated and can be exported from it</source>
        <translation>一次性 QAT 只训练一组权重：较低位宽由最高位宽的整数码经舍入右移得到；每个位宽都会被评估，并可从中导出</translation>
    </message>
    <message>
        <source>&amp;Widths:</source>
        <translation>位宽(&amp;W)：</translation>
    </message>
    <message>
        <source>one model for %1 bits (once-QAT)</source>
        <translation>一个模型涵盖 %1 位（一次性 QAT）</translation>
    </message>
</context>
<context>
    <name>distillery::RecipeDock</name>
    <message>
        <source>Recipe</source>
        <translation>配方</translation>
    </message>
    <message>
        <source>&amp;Loss terms</source>
        <translation>损失项(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>训练(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;YAML</source>
        <translation>&amp;YAML</translation>
    </message>
    <message>
        <source>&amp;Presets</source>
        <translation>预设(&amp;P)</translation>
    </message>
    <message>
        <source>Replace the loss terms with a method&apos;s usual setting</source>
        <translation>用某种方法的常用设置替换损失项</translation>
    </message>
    <message>
        <source>&amp;Add term</source>
        <translation>添加项(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Remove term</source>
        <translation>删除项(&amp;R)</translation>
    </message>
    <message>
        <source>SGD with momentum</source>
        <translation>带动量的 SGD</translation>
    </message>
    <message>
        <source>AdamW</source>
        <translation>AdamW</translation>
    </message>
    <message>
        <source>Cosine</source>
        <translation>余弦</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>阶梯</translation>
    </message>
    <message>
        <source>Constant</source>
        <translation>恒定</translation>
    </message>
    <message>
        <source>all cores</source>
        <translation>全部核心</translation>
    </message>
    <message>
        <source>all samples</source>
        <translation>全部样本</translation>
    </message>
    <message>
        <source>Use only the first N samples of each split, for quick trials</source>
        <translation>每个划分只使用前 N 个样本，用于快速试验</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Epochs:</source>
        <translation>轮数(&amp;E)：</translation>
    </message>
    <message>
        <source>&amp;Batch size:</source>
        <translation>批大小(&amp;B)：</translation>
    </message>
    <message>
        <source>&amp;Learning rate:</source>
        <translation>学习率(&amp;L)：</translation>
    </message>
    <message>
        <source>&amp;Optimiser:</source>
        <translation>优化器(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Schedule:</source>
        <translation>学习率调度(&amp;S)：</translation>
    </message>
    <message>
        <source>S&amp;eed:</source>
        <translation>随机种子(&amp;E)：</translation>
    </message>
    <message>
        <source>&amp;Threads:</source>
        <translation>线程数(&amp;T)：</translation>
    </message>
    <message>
        <source>Sub&amp;set:</source>
        <translation>子集(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Max steps:</source>
        <translation>最大步数(&amp;M)：</translation>
    </message>
    <message>
        <source>Rename recipe</source>
        <translation>重命名配方</translation>
    </message>
    <message>
        <source>Change epochs</source>
        <translation>更改轮数</translation>
    </message>
    <message>
        <source>Change batch size</source>
        <translation>更改批大小</translation>
    </message>
    <message>
        <source>Change seed</source>
        <translation>更改随机种子</translation>
    </message>
    <message>
        <source>Change threads</source>
        <translation>更改线程数</translation>
    </message>
    <message>
        <source>Change subset</source>
        <translation>更改子集</translation>
    </message>
    <message>
        <source>Change max steps</source>
        <translation>更改最大步数</translation>
    </message>
    <message>
        <source>Change learning rate</source>
        <translation>更改学习率</translation>
    </message>
    <message>
        <source>Change optimiser</source>
        <translation>更改优化器</translation>
    </message>
    <message>
        <source>Change schedule</source>
        <translation>更改学习率调度</translation>
    </message>
    <message>
        <source>&amp;Apply</source>
        <translation>应用(&amp;A)</translation>
    </message>
    <message>
        <source>Use this YAML as the recipe (Ctrl+Return)</source>
        <translation>将此 YAML 用作配方（Ctrl+回车）</translation>
    </message>
    <message>
        <source>Re&amp;vert</source>
        <translation>还原(&amp;V)</translation>
    </message>
    <message>
        <source>Edited: Apply to use it.</source>
        <translation>已编辑：点击“应用”后生效。</translation>
    </message>
    <message>
        <source>%1: choose a teacher first</source>
        <translation>%1：请先选择教师</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Apply preset %1</source>
        <translation>应用预设 %1</translation>
    </message>
    <message>
        <source>choose a teacher first</source>
        <translation>请先选择教师</translation>
    </message>
    <message>
        <source>Edit recipe as YAML</source>
        <translation>以 YAML 编辑配方</translation>
    </message>
    <message>
        <source>Edited: Apply to use it, or Revert to see the current recipe.</source>
        <translation>已编辑：点击“应用”后生效，或点击“还原”查看当前配方。</translation>
    </message>
    <message>
        <source>The same YAML the command-line tool reads.</source>
        <translation>与命令行工具读取的 YAML 相同。</translation>
    </message>
    <message>
        <source>Double-click a cell to change it; only taps the method can compare are offered. A preset replaces all terms with a method&apos;s usual setting.</source>
        <translation>双击单元格即可修改；只会列出该方法能够比较的抽头。预设会用某种方法的常用设置替换全部损失项。</translation>
    </message>
    <message>
        <source>This CPU has no native bf16: bf16 runs train in fp32 here.</source>
        <translation>此 CPU 不原生支持 bf16：在这里 bf16 运行以 fp32 训练。</translation>
    </message>
    <message>
        <source>fp32</source>
        <translation>fp32</translation>
    </message>
    <message>
        <source>bf16 mixed precision</source>
        <translation>bf16 混合精度</translation>
    </message>
    <message>
        <source>The student&apos;s arithmetic: bf16 runs convolutions and matrix products in bfloat16 on fp32 master weights; losses and evaluation stay fp32.</source>
        <translation>学生模型的运算精度：bf16 在 fp32 主权重上以 bfloat16 计算卷积和矩阵乘法；损失和评估保持 fp32。</translation>
    </message>
    <message>
        <source>bf16</source>
        <translation>bf16</translation>
    </message>
    <message>
        <source>int8</source>
        <translation>int8</translation>
    </message>
    <message>
        <source>int8 quantizes it after training (calibrated on 8 train batches) and runs it on LibTorch&apos;s int8 kernels; the run&apos;s log gives its agreement with fp32.</source>
        <translation>int8 在训练后量化教师模型（用 8 个训练批次校准），并以 LibTorch 的 int8 内核运行；运行日志给出其与 fp32 的一致率。</translation>
    </message>
    <message>
        <source>The frozen teacher&apos;s arithmetic: bf16 runs its convolutions in bfloat16; it only needs to teach.</source>
        <translation>冻结教师模型的运算精度：bf16 以 bfloat16 计算其卷积；教师只需足以施教。</translation>
    </message>
    <message>
        <source>&amp;Precision:</source>
        <translation>精度(&amp;P)：</translation>
    </message>
    <message>
        <source>Teacher p&amp;recision:</source>
        <translation>教师精度(&amp;R)：</translation>
    </message>
    <message>
        <source>Change precision</source>
        <translation>更改精度</translation>
    </message>
    <message>
        <source>Change teacher precision</source>
        <translation>更改教师精度</translation>
    </message>
    <message>
        <source>Data-parallel training: local processes that each take an equal part of every batch, their gradients averaged after each step. The threads are divided between them. The recipe trains the same on any number of processes.</source>
        <translation>数据并行训练：每个本地进程处理每个批次中相等的一份，每步之后对梯度取平均。线程在各进程之间分配。配方在任意进程数下训练结果相同。</translation>
    </message>
    <message>
        <source>Pro&amp;cesses:</source>
        <translation>进程数(&amp;C)：</translation>
    </message>
    <message>
        <source>Real (the data set&apos;s train split)</source>
        <translation>真实图像（数据集的训练集）</translation>
    </message>
    <message>
        <source>Generated (data-free)</source>
        <translation>生成图像（无数据）</translation>
    </message>
    <message>
        <source>Data-free distillation: the student never sees a training image. A generator learns, against the teacher, images whose statistics match what the teacher&apos;s batch norms saw in training, of each class, and where the student still disagrees with the teacher; the student learns the loss terms on them. Real images are used only for validation. Needs a teacher with batch norms; the Generated images view shows what the student learned from.</source>
        <translation>无数据蒸馏：学生从不接触训练图像。生成器针对教师学习生成图像：其统计量与教师的批归一化层在训练中所见一致、属于各个类别、并且学生仍与教师不一致；学生在这些图像上学习各损失项。真实图像只用于验证。需要带批归一化层的教师；“生成的图像”视图显示学生学习所用的图像。</translation>
    </message>
    <message>
        <source>Training &amp;images:</source>
        <translation>训练图像(&amp;I)：</translation>
    </message>
    <message>
        <source>Train on generated images</source>
        <translation>用生成图像训练</translation>
    </message>
    <message>
        <source>Train on real images</source>
        <translation>用真实图像训练</translation>
    </message>
    <message>
        <source>This CPU computes bf16 natively (%1). Automatic also measures its bf16 convolutions when a run starts, and stays in fp32 where they are not faster.</source>
        <translation>此 CPU 原生支持 bf16（%1）。“自动”还会在运行开始时测量其 bf16 卷积的速度，若不比 fp32 快则保持 fp32。</translation>
    </message>
    <message>
        <source>Automatic (bf16 where native and faster)</source>
        <translation>自动（原生支持且更快时用 bf16）</translation>
    </message>
</context>
<context>
    <name>distillery::RunController</name>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>A run is already in progress.</source>
        <translation>已有一个运行正在进行。</translation>
    </message>
    <message>
        <source>Paused; the inspector still answers</source>
        <translation>已暂停；通道检查器仍可使用</translation>
    </message>
    <message>
        <source>Resumed</source>
        <translation>已继续</translation>
    </message>
    <message>
        <source>Stopping at the end of this step…</source>
        <translation>将在本步结束时停止…</translation>
    </message>
    <message>
        <source>The recipe has an error, so nothing was started:
%1</source>
        <translation>配方有错误，因此没有开始运行：
%1</translation>
    </message>
    <message>
        <source>Choose a teacher architecture or import one in the Models dock first.</source>
        <translation>请先在“模型”面板中选择教师架构或导入一个教师模型。</translation>
    </message>
    <message>
        <source>%1 cannot be continued: it finished, or it has no checkpoint yet.</source>
        <translation>%1 无法继续：它已完成，或者还没有检查点。</translation>
    </message>
    <message>
        <source>The demo recipe resources/recipes/fmnist_cwd.yaml was not found next to the program.</source>
        <translation>在程序旁找不到演示配方 resources/recipes/fmnist_cwd.yaml。</translation>
    </message>
    <message>
        <source>The shipped teacher %1 is missing; training it first.</source>
        <translation>缺少随附的教师模型 %1；先训练它。</translation>
    </message>
    <message>
        <source>Cannot start the run:
%1</source>
        <translation>无法开始运行：
%1</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Training teacher %1 in %2</source>
        <translation>正在训练教师 %1，输出到 %2</translation>
    </message>
    <message>
        <source>Quantization-aware training of %1 in %2</source>
        <translation>正在对 %1 做量化感知训练，输出到 %2</translation>
    </message>
    <message>
        <source>Training student %1 in %2</source>
        <translation>正在训练学生 %1，输出到 %2</translation>
    </message>
    <message>
        <source>Epoch %1/%2 · step %3/%4 · loss %5</source>
        <translation>第 %1/%2 轮 · 第 %3/%4 步 · 损失 %5</translation>
    </message>
    <message>
        <source>%1 img/s</source>
        <translation>%1 张/秒</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>Epoch %1 (%2): %3%4</source>
        <translation>第 %1 轮（%2）：%3%4</translation>
    </message>
    <message>
        <source> — best so far</source>
        <translation> — 目前最佳</translation>
    </message>
    <message>
        <source>Finished in %1. Best: %2</source>
        <translation>用时 %1 完成。最佳：%2</translation>
    </message>
    <message>
        <source>Finished %1: best %2</source>
        <translation>已完成 %1：最佳 %2</translation>
    </message>
    <message>
        <source>Stopped; the run can be continued later</source>
        <translation>已停止；之后可以继续此运行</translation>
    </message>
    <message>
        <source>Stopped %1</source>
        <translation>已停止 %1</translation>
    </message>
    <message>
        <source>The run failed: %1</source>
        <translation>运行失败：%1</translation>
    </message>
    <message>
        <source>Use the trained teacher</source>
        <translation>使用训练好的教师</translation>
    </message>
    <message>
        <source>The recipe&apos;s teacher is now %1</source>
        <translation>配方的教师现在是 %1</translation>
    </message>
    <message>
        <source>Initialisation stage · step %1/%2 · loss %3</source>
        <translation>初始化阶段 · 第 %1/%2 步 · 损失 %3</translation>
    </message>
    <message>
        <source>Training on %1 processes needs distillery-cli beside the workbench; it was not found (set DISTILLERY_CLI, or set Processes to 1).</source>
        <translation>在 %1 个进程上训练需要工作台旁边的 distillery-cli；未找到它（请设置 DISTILLERY_CLI，或将进程数设为 1）。</translation>
    </message>
    <message>
        <source>Data-parallel training: %1 processes of %2 threads, each taking 1/%1 of every batch</source>
        <translation>数据并行训练：%1 个进程，每个 %2 个线程，各处理每个批次的 1/%1</translation>
    </message>
    <message>
        <source>Loading the data and the models…</source>
        <translation>正在加载数据和模型…</translation>
    </message>
</context>
<context>
    <name>distillery::RunsTableView</name>
    <message>
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>未完成</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>%1: weight %2</source>
        <translation>%1：权重 %2</translation>
    </message>
    <message>
        <source>, τ %1</source>
        <translation>，τ %1</translation>
    </message>
    <message>
        <source>%1 %2 %</source>
        <translation>%1 %2 %</translation>
    </message>
    <message>
        <source>metrics.jsonl is being written; no summary yet</source>
        <translation>正在写入 metrics.jsonl；尚无摘要</translation>
    </message>
    <message>
        <source>no summary.json: the run was stopped or killed (resume continues it)</source>
        <translation>没有 summary.json：运行被停止或中断（可用 resume 继续）</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Student</source>
        <translation>学生</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>教师</translation>
    </message>
    <message>
        <source>Loss terms</source>
        <translation>损失项</translation>
    </message>
    <message>
        <source>Best metric</source>
        <translation>最佳指标</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>Wall time</source>
        <translation>耗时</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>No project folder.</source>
        <translation>没有项目文件夹。</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message numerus="yes">
        <source>%n run(s) in %1</source>
        <translation>
            <numerusform>%1 中有 %n 个运行</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (teacher)</source>
        <translation>%1（教师）</translation>
    </message>
</context>
<context>
    <name>distillery::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose the folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Projects folder</source>
        <translation>项目文件夹</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>&amp;Autosave every:</source>
        <translation>自动保存间隔(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Inspector refresh:</source>
        <translation>检查器刷新间隔(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Projects folder:</source>
        <translation>项目文件夹(&amp;P)：</translation>
    </message>
    <message>
        <source>A new language takes effect the next time Distillery starts.</source>
        <translation>新语言将在下次启动 Distillery 时生效。</translation>
    </message>
</context>
<context>
    <name>distillery::TermBalanceView</name>
    <message>
        <source>Term</source>
        <translation>损失项</translation>
    </message>
    <message>
        <source>Weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Loss share</source>
        <translation>损失占比</translation>
    </message>
    <message>
        <source>Gradient share</source>
        <translation>梯度占比</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Suggested weight</source>
        <translation>建议权重</translation>
    </message>
    <message>
        <source>Norm of the term&apos;s weighted gradient on the student&apos;s own parameters, as a share of the sum over all terms</source>
        <translation>该损失项加权梯度在学生自身参数上的范数，占所有损失项范数之和的比例</translation>
    </message>
    <message>
        <source>The weight that would give the term the target share of the gradient, the other terms unchanged</source>
        <translation>在其他损失项不变时，使该项达到目标梯度占比的权重</translation>
    </message>
    <message>
        <source>Target share:</source>
        <translation>目标占比：</translation>
    </message>
    <message>
        <source>The share of the student&apos;s gradient a suggested weight gives its term</source>
        <translation>建议权重使其损失项获得的学生梯度占比</translation>
    </message>
    <message>
        <source>Apply Suggested Weights</source>
        <translation>应用建议权重</translation>
    </message>
    <message>
        <source>Writes the suggested weights of the flagged terms into the recipe, for the next run</source>
        <translation>将被标记损失项的建议权重写入配方，供下一次运行使用</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>gradient share (%)</source>
        <translation>梯度占比（%）</translation>
    </message>
    <message numerus="yes">
        <source>No term balance yet: a distillation run measures it every %n step(s), from its first.</source>
        <translation>
            <numerusform>尚无损失项平衡：蒸馏运行从第一步起每 %n 步测量一次。</numerusform>
        </translation>
    </message>
    <message>
        <source>Term balance is off in this recipe (diagnostics.every: 0).</source>
        <translation>此配方关闭了损失项平衡（diagnostics.every: 0）。</translation>
    </message>
    <message>
        <source>⚠ drowns the others (above %1)</source>
        <translation>⚠ 压过其他项（高于 %1）</translation>
    </message>
    <message>
        <source>⚠ hardly counts (below %1)</source>
        <translation>⚠ 几乎不起作用（低于 %1）</translation>
    </message>
    <message>
        <source>balanced</source>
        <translation>平衡</translation>
    </message>
    <message>
        <source>Weight %1 would give this term %2 of the gradient</source>
        <translation>权重 %1 可使此项获得 %2 的梯度</translation>
    </message>
    <message numerus="yes">
        <source>Step %1 (epoch %2): %n term(s) out of balance.</source>
        <translation>
            <numerusform>第 %1 步（第 %2 轮）：%n 个损失项失衡。</numerusform>
        </translation>
    </message>
    <message>
        <source>Step %1 (epoch %2): every term between %3 and %4 of the gradient.</source>
        <translation>第 %1 步（第 %2 轮）：每个损失项的梯度占比都在 %3 到 %4 之间。</translation>
    </message>
    <message>
        <source>This run has no term balance: it trained with one loss term, stopped before its first step, or its recipe turned it off (diagnostics.every: 0).</source>
        <translation>此运行没有损失项平衡：它只用一个损失项训练、在第一步之前停止，或其配方关闭了该功能（diagnostics.every: 0）。</translation>
    </message>
</context>
<context>
    <name>distillery::WelcomePage</name>
    <message>
        <source>Welcome to Distillery</source>
        <translation>欢迎使用 Distillery</translation>
    </message>
    <message>
        <source>Distillery teaches a small neural network (the student) to imitate a large one (the teacher). Pick the two models, a data set and a recipe of loss terms, then watch every loss curve and compare the channel maps of teacher and student while it trains.</source>
        <translation>Distillery 让一个小型神经网络（学生）学习模仿一个大型网络（教师）。选择两个模型、一个数据集和由损失项组成的配方，然后在训练过程中观察每条损失曲线，并比较教师与学生的通道图。</translation>
    </message>
    <message>
        <source>Run the Fashion-MNIST demo</source>
        <translation>运行 Fashion-MNIST 演示</translation>
    </message>
    <message>
        <source>A ResNet-8 student learns from a trained ResNet-20 teacher with channel-wise distillation (CWD). Curves and channel maps appear within seconds; the whole run takes a few minutes.</source>
        <translation>ResNet-8 学生通过通道蒸馏（CWD）向训练好的 ResNet-20 教师学习。几秒钟内即可看到曲线和通道图；整个运行需要几分钟。</translation>
    </message>
    <message>
        <source>&amp;New project…</source>
        <translation>新建项目(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>Recent projects</source>
        <translation>最近的项目</translation>
    </message>
    <message>
        <source>Close this page</source>
        <translation>关闭此页</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Knowledge-distillation workbench</source>
        <translation>知识蒸馏工作台</translation>
    </message>
    <message>
        <source>Run a short demo and save screenshots to DIR.</source>
        <translation>运行简短演示并将截图保存到 DIR。</translation>
    </message>
    <message>
        <source>User-interface language (en, zh_CN).</source>
        <translation>界面语言（en、zh_CN）。</translation>
    </message>
    <message>
        <source>Project folder to open.</source>
        <translation>要打开的项目文件夹。</translation>
    </message>
    <message>
        <source>Override a demo recipe key (with --demo or --screenshots).</source>
        <translation>覆盖演示配方中的某个键（与 --demo 或 --screenshots 一起使用）。</translation>
    </message>
    <message>
        <source>Start the Fashion-MNIST demo in a new project, as the welcome page&apos;s button does.</source>
        <translation>在新项目中启动 Fashion-MNIST 演示，与欢迎页上的按钮相同。</translation>
    </message>
    <message>
        <source>Quit when the demo&apos;s distillation ends (exit status 0 if it finished, 1 if not); for scripted demos and checks.</source>
        <translation>演示的蒸馏结束后退出（完成则退出状态为 0，否则为 1）；用于脚本化演示和检查。</translation>
    </message>
</context>
</TS>
